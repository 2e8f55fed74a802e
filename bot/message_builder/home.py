"""The App Home tab: one person's view of the inbox, each row with the buttons that make sense.

Rows reuse the item and draft action ids, so the listeners that serve the channel's buttons
serve these too; ids travel in `value`. Every list is capped and shows its total, so the view
stays inside Slack's 100 blocks however many items are open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.message_builder.format import age, escape, shorten, slack_date
from bot.message_builder.ids import ActionId
from bot.services.home import HomeDraft, HomeItem, HomePage, HomeQuestion, Section

MAX_BLOCKS = 100  # Slack's limit for a Home tab view
_SNIPPET = 140

HOME_TITLE = "Social Inbox"
EMPTY = "_Nothing here._"


def _short(text: str) -> str:
    return escape(shorten(" ".join(text.split()), _SNIPPET)[0]) or "_(no text)_"


def _ago(page: HomePage, moment: datetime) -> str:
    shown = age((page.now - moment).total_seconds())
    return shown if shown == "just now" else f"{shown} ago"


def message_url(item: HomeItem) -> str | None:
    if not item.channel or not item.ts:
        return None
    return f"https://slack.com/archives/{item.channel}/p{item.ts.replace('.', '')}"


def _item_line(page: HomePage, item: HomeItem) -> str:
    parts = [f"*#{item.id}*", *([f"*{escape(item.brand)}*"] if item.brand else [])]
    parts += [escape(item.platform.title()), *([escape(item.author)] if item.author else [])]
    parts.append(_ago(page, item.received_at))
    if item.clock:
        parts.append(item.clock)
    if item.claimed_by:
        parts.append(f"claimed by <@{item.claimed_by}>")
    return " · ".join(parts) + f"\n>{_short(item.text)}"


def _brand(item: HomeItem) -> str:
    return f" · *{escape(item.brand)}*" if item.brand else ""


def _button(text: str, action: ActionId, value: str, *, primary: bool = False) -> ButtonElement:
    return ButtonElement(text=text, action_id=action.value, value=value, style="primary" if primary else None)


def _open_button(item: HomeItem) -> list[ButtonElement]:
    url = message_url(item)
    if url is None:
        return []
    return [ButtonElement(text="Open in channel", action_id=ActionId.OPEN_IN_CHANNEL.value, url=url)]


def _item_rows(page: HomePage, item: HomeItem) -> list[Block]:
    buttons = [_button("Reply", ActionId.REPLY, str(item.id), primary=True)]
    if item.claimed_by != page.user:
        buttons.append(_button("Claim", ActionId.CLAIM, str(item.id)))
    buttons += _open_button(item)
    return [
        SectionBlock(text=MarkdownTextObject(text=_item_line(page, item))),
        ActionsBlock(block_id=f"home:item:{item.id}", elements=buttons),
    ]


def _draft_rows(page: HomePage, draft: HomeDraft, *, approve: bool) -> list[Block]:
    when = f" · sends {slack_date(draft.send_at)}" if draft.send_at else ""
    text = (
        f"*#{draft.item.id}*{_brand(draft.item)} · draft by <@{draft.author}>{when}\n>{_short(draft.text)}"
        f"\n_in reply to {escape(draft.item.author)}:_ {_short(draft.item.text)}"
    )
    buttons = [_button("Approve", ActionId.APPROVE, str(draft.id), primary=True)] if approve else []
    buttons += _open_button(draft.item)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if buttons:
        blocks.append(ActionsBlock(block_id=f"home:draft:{draft.id}", elements=buttons))
    return blocks


def _question_rows(page: HomePage, question: HomeQuestion) -> list[Block]:
    text = (
        f"*#{question.item.id}*{_brand(question.item)} · asked by <@{question.asked_by}> "
        f"{_ago(page, question.asked_at)}\n>{_short(question.question)}"
    )
    buttons = (
        [_button("Answer", ActionId.ANSWER, str(question.id), primary=True)] if question.answerable else []
    )
    buttons += _open_button(question.item)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if buttons:
        blocks.append(ActionsBlock(block_id=f"home:question:{question.id}", elements=buttons))
    return blocks


def _section(title: str, section: Section[Any], rows: list[list[Block]]) -> list[Block]:
    shown = len(section.rows)
    count = (
        f"{section.total} in all; the oldest {shown} shown"
        if section.total > shown
        else f"{section.total} in all"
    )
    blocks: list[Block] = [HeaderBlock(text=title), ContextBlock(elements=[MarkdownTextObject(text=count)])]
    if not rows:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=EMPTY)))
    for row in rows:
        blocks += row
    blocks.append(DividerBlock())
    return blocks


def home_view(page: HomePage) -> View:
    blocks: list[Block] = []
    if page.notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=escape(page.notice))))
    blocks += _section("Claimed by you", page.claimed, [_item_rows(page, i) for i in page.claimed.rows])
    blocks += _section("Open items, oldest first", page.open, [_item_rows(page, i) for i in page.open.rows])
    if page.approvals is not None:
        blocks += _section(
            "Drafts awaiting your approval",
            page.approvals,
            [_draft_rows(page, d, approve=True) for d in page.approvals.rows],
        )
    blocks += _section(
        "Questions waiting for the owner",
        page.questions,
        [_question_rows(page, q) for q in page.questions.rows],
    )
    blocks += _section(
        "Scheduled replies",
        page.scheduled,
        [_draft_rows(page, d, approve=False) for d in page.scheduled.rows],
    )
    # The row caps keep this far below the limit; the slice is the promise, should they grow.
    return View(type="home", blocks=blocks[:MAX_BLOCKS])
