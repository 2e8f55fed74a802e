"""A draft's own message in the item's thread."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col

from bot.message_builder.draft import draft_blocks, draft_fallback
from bot.relay.errors import NotReady
from bot.relay.kinds import TaskKind
from bot.relay.runners.threads import Threads
from bot.relay.worker import Runner
from bot.services.accounts import PlatformRegistry
from bot.storage.models import Draft, Item, SlackTask


@dataclass(frozen=True)
class DraftRunners:
    threads: Threads
    platforms: PlatformRegistry

    def runners(self) -> dict[TaskKind, Runner]:
        return {
            TaskKind.DRAFT_MESSAGE: self.post_draft_message,
            TaskKind.UPDATE_DRAFT: self.update_draft_message,
        }

    def _render(self, draft_id: int) -> tuple[Draft, str, list[dict[str, object]]]:
        with self.threads.db.session() as session:
            draft = session.get(Draft, draft_id)
            assert draft is not None
            item = session.get(Item, draft.item_id)
            assert item is not None
        platform = self.platforms.for_item(item)
        label = platform.label if platform else item.platform.title()
        length = platform.reply_length(draft.text) if platform else len(draft.text)
        limit = platform.max_reply_length if platform else 0
        blocks = draft_blocks(draft, item=item, platform_label=label, length=length, limit=limit)
        return draft, draft_fallback(draft, item=item), blocks

    def post_draft_message(self, task: SlackTask) -> None:
        assert task.ref_id is not None
        draft, text, blocks = self._render(task.ref_id)
        if draft.slack_ts:
            return
        posted = self.threads.post_in_thread(task.item_id, text=text, blocks=blocks)
        with self.threads.db.session() as session:
            session.execute(update(Draft).where(col(Draft.id) == draft.id).values(slack_ts=posted.ts))

    def update_draft_message(self, task: SlackTask) -> None:
        assert task.ref_id is not None
        draft, text, blocks = self._render(task.ref_id)
        if not draft.slack_ts:
            raise NotReady("draft message not posted yet")
        message = self.threads.message_of(task.item_id)
        self.threads.client.chat_update(channel=message.channel, ts=draft.slack_ts, text=text, blocks=blocks)
