"""The owner's DM about a question, and the reminders and thanks in its thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col

from bot.brands import Brands
from bot.clock import Clock
from bot.message_builder import strings
from bot.message_builder.format import age, duration
from bot.message_builder.owner import owner_dm
from bot.relay.errors import NotReady
from bot.relay.kinds import TaskKind
from bot.relay.runners.threads import Threads
from bot.relay.worker import Runner
from bot.services.accounts import PlatformRegistry
from bot.storage.models import Item, OwnerQuestion, SlackTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwnerRunners:
    threads: Threads
    platforms: PlatformRegistry
    clock: Clock
    brands: Brands  # the DM goes to the owner of the item's brand

    def runners(self) -> dict[TaskKind, Runner]:
        runners: dict[TaskKind, Runner] = {
            TaskKind.UPDATE_OWNER_DM: self.update_owner_dm,
            TaskKind.OWNER_REMINDER: self.remind,
            TaskKind.OWNER_THANKS: self.thank,
        }
        if any(brand.owner for brand in self.brands):
            runners[TaskKind.OWNER_DM] = self.post_owner_dm
        return runners

    def _question(self, task: SlackTask) -> tuple[OwnerQuestion, Item]:
        with self.threads.db.session() as session:
            question = session.get(OwnerQuestion, task.ref_id)
            assert question is not None
            item = session.get(Item, question.item_id)
            assert item is not None
        return question, item

    def _dm(self, question: OwnerQuestion, item: Item) -> tuple[str, list[dict[str, object]]]:
        client = self.threads.client
        message = self.threads.message_of(item.id or 0)
        permalink = client.chat_getPermalink(channel=message.channel, message_ts=message.ts).get("permalink")
        platform = self.platforms.for_item(item)
        waiting = age((self.clock.now() - item.created_at).total_seconds())
        return owner_dm(
            question,
            item=item,
            platform_label=platform.label if platform else item.platform,
            waiting=waiting,
            permalink=permalink,
        )

    def post_owner_dm(self, task: SlackTask) -> None:
        question, item = self._question(task)
        if question.dm_ts:
            return
        brand = self.brands.get(item.brand_key)
        if brand is None or not brand.owner:
            # The brand or its owner left the file after the question was asked: nobody to DM.
            log.warning("owner.no_owner item=%s brand=%s", item.id, item.brand_key)
            return
        text, blocks = self._dm(question, item)
        client = self.threads.client
        channel = client.conversations_open(users=brand.owner)["channel"]["id"]
        posted = self.threads.post(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        with self.threads.db.session() as session:
            session.execute(
                update(OwnerQuestion)
                .where(col(OwnerQuestion.id) == question.id)
                .values(dm_channel=str(posted["channel"]), dm_ts=str(posted["ts"]))
            )

    def update_owner_dm(self, task: SlackTask) -> None:
        question, item = self._question(task)
        if not question.dm_ts or not question.dm_channel:
            raise NotReady("owner DM not posted yet")
        text, blocks = self._dm(question, item)
        self.threads.client.chat_update(
            channel=question.dm_channel, ts=question.dm_ts, text=text, blocks=blocks
        )

    def remind(self, task: SlackTask) -> None:
        self._in_dm_thread(task, strings.DM_REMINDER)

    def thank(self, task: SlackTask) -> None:
        self._in_dm_thread(task, strings.DM_THANKS)

    def _in_dm_thread(self, task: SlackTask, text: str) -> None:
        question, item = self._question(task)
        if not question.dm_ts or not question.dm_channel:
            raise NotReady("owner DM not posted yet")
        waited = duration(self.clock.now() - question.asked_at)
        self.threads.post(
            channel=question.dm_channel, thread_ts=question.dm_ts, text=text.format(n=item.id, waited=waited)
        )
