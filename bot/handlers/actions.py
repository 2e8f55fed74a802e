"""Buttons on item and draft messages. Ids travel in `value`; permission is checked here, server side."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.handlers.events import publish_home
from bot.message_builder import strings
from bot.message_builder.draft import reject_modal, reply_modal
from bot.message_builder.full_text import DRAFT, QUESTION, parse_ref, text_modal
from bot.message_builder.group import MenuChoice
from bot.message_builder.ids import ActionId, BlockId
from bot.message_builder.item import full_text_modal
from bot.message_builder.owner import answer_modal, ask_owner_modal
from bot.services.errors import UserError
from bot.services.replies import limit_note
from bot.storage.models import Draft, Item

if TYPE_CHECKING:
    from bot.handlers.services import Services

log = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> str:
    action = body["actions"][0]
    return str(action.get("value") or action.get("selected_option", {}).get("value", ""))


def _id(body: dict[str, Any]) -> int:
    try:
        return int(_value(body))
    except ValueError:
        raise UserError("That button is out of date; use the item's latest message.") from None


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id")


def _item_id(services: Services, body: dict[str, Any]) -> int:
    """The item a button names, refused when the button sits in another brand's channel."""
    item_id = _id(body)
    services.scope.item(item_id=item_id, channel=_channel(body))
    return item_id


def _draft_id(services: Services, body: dict[str, Any]) -> int:
    draft_id = _id(body)
    services.scope.draft(draft_id=draft_id, channel=_channel(body))
    return draft_id


def _question_id(services: Services, body: dict[str, Any]) -> int:
    question_id = _id(body)
    services.scope.question(question_id=question_id, channel=_channel(body))
    return question_id


def _guarded(
    fn: Callable[[Services, dict[str, Any], WebClient], str | None], services: Services
) -> Callable[..., None]:
    """Ack first, then run; an expected refusal becomes an ephemeral message."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        # From the Home tab there is no message to answer under: the tab is re-published instead,
        # showing what the action changed (and why it was refused, if it was).
        from_home = body.get("view", {}).get("type") == "home"
        try:
            answer = fn(services, body, client)
        except UserError as exc:
            log.info("action.refused action=%s user=%s", body["actions"][0]["action_id"], body["user"]["id"])
            if from_home:
                publish_home(services, client, user=body["user"]["id"], notice=exc.message)
            else:
                respond(text=exc.message, response_type="ephemeral", replace_original=False)
            return
        if from_home:
            publish_home(services, client, user=body["user"]["id"], notice=answer)
        elif answer:
            respond(text=answer, response_type="ephemeral", replace_original=False)

    return listener


def _open_form(services: Services, client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open a modal whose submission acts: its ids are sealed with the user and the channel clicked in."""
    view["private_metadata"] = services.scope.seal(
        view.get("private_metadata") or "", user=body["user"]["id"], channel=_channel(body)
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _open_reply_modal(
    services: Services, client: WebClient, body: dict[str, Any], *, item: Item, draft: Draft | None = None
) -> None:
    platform = services.replies.platform(item)
    view = reply_modal(
        item=item,
        platform_label=platform.label,
        limit=platform.max_reply_length,
        limit_note=limit_note(platform),
        initial=draft.text if draft else "",
        draft_id=draft.id if draft else None,
        snippets=services.snippets.all(brand=services.snippets.brand_of_item(item)),
    )
    _open_form(services, client, body, view)


def use_snippet(services: Services, body: dict[str, Any], client: WebClient) -> None:
    """A saved reply picked in the Reply modal: the modal comes back with its text in the input."""
    view = body["view"]
    try:
        # The same checks as the modal's submission: a forged item id reads no other brand's snippets.
        meta = services.scope.opened(view.get("private_metadata") or "", user=body["user"]["id"])
        item = services.items.open_item(int(meta["item_id"]))
        snippets = services.snippets
        brand = snippets.brand_of_item(item)
        chosen = snippets.get(brand=brand, snippet_id=int(_value(body)))
    except (UserError, ValueError, KeyError, TypeError) as exc:
        # No message to answer under in a modal; the menu simply does nothing.
        log.info(
            "action.refused action=%s user=%s reason=%s",
            ActionId.USE_SNIPPET,
            body["user"]["id"],
            type(exc).__name__,
        )
        return
    platform = services.replies.platform(item)
    updated = reply_modal(
        item=item,
        platform_label=platform.label,
        limit=platform.max_reply_length,
        limit_note=limit_note(platform),
        initial=chosen.text,
        draft_id=meta.get("draft_id"),
        snippets=snippets.all(brand=brand),
        # A new block_id each time, or Slack keeps what was typed and ignores the new text.
        text_block=f"{BlockId.REPLY_TEXT}:{body['actions'][0].get('action_ts', chosen.id)}",
    )
    updated["private_metadata"] = view["private_metadata"]  # still sealed for the same user and channel
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":
            raise
        log.info("reply.snippet_skipped reason=hash_conflict")  # the modal changed meanwhile; theirs wins


def open_reply_modal(services: Services, body: dict[str, Any], client: WebClient) -> None:
    _open_reply_modal(services, client, body, item=services.items.open_item(_item_id(services, body)))


def claim(services: Services, body: dict[str, Any], client: WebClient) -> None:
    services.items.claim(item_id=_item_id(services, body), user=body["user"]["id"])


def close(services: Services, body: dict[str, Any], client: WebClient) -> None:
    verb, _, raw = _value(body).partition(":")
    if verb not in ("ignore", "spam") or not raw.isdigit():
        raise UserError("That menu is out of date; use the item's latest message.")
    services.scope.item(item_id=int(raw), channel=_channel(body))
    services.items.close(item_id=int(raw), user=body["user"]["id"], spam=verb == "spam")


def group_menu(services: Services, body: dict[str, Any], client: WebClient) -> str | None:
    """A grouped line's overflow menu. Reply, Ask owner and Claim need a thread: the item gets its own message."""
    choice, _, raw = _value(body).partition(":")
    if choice not in set(MenuChoice) or not raw.isdigit():
        raise UserError("That menu is out of date; use the latest message.")
    item_id, user = int(raw), body["user"]["id"]
    # The same scope check as the item's own buttons: a group in one brand's channel acts on its items only.
    services.scope.item(item_id=item_id, channel=_channel(body))
    match MenuChoice(choice):
        case MenuChoice.IGNORE | MenuChoice.SPAM:
            services.items.close(item_id=item_id, user=user, spam=choice == MenuChoice.SPAM)
            return None
        case MenuChoice.REPLY:
            item = services.items.open_item(item_id)
            services.groups.promote(item_id=item_id)
            _open_reply_modal(services, client, body, item=item)
        case MenuChoice.ASK_OWNER:
            services.owner.owner_of(item_id=item_id)
            item = services.items.open_item(item_id)
            services.groups.promote(item_id=item_id)
            _open_form(services, client, body, ask_owner_modal(item=item))
        case MenuChoice.CLAIM:
            services.groups.promote(item_id=item_id)
            services.items.claim(item_id=item_id, user=user)
            return strings.CLAIMED.format(n=item_id)
    return None


def not_spam(services: Services, body: dict[str, Any], client: WebClient) -> str:
    item_id = _item_id(services, body)
    services.groups.not_spam(item_id=item_id, user=body["user"]["id"])
    return strings.NOT_SPAM.format(n=item_id)


def approve(services: Services, body: dict[str, Any], client: WebClient) -> None:
    services.replies.approve(user=body["user"]["id"], draft_id=_draft_id(services, body))


def start_reject(services: Services, body: dict[str, Any], client: WebClient) -> None:
    draft_id = _draft_id(services, body)
    services.replies.check_approver(body["user"]["id"], verb="reject", draft_id=draft_id)
    _, item = services.replies.editable(draft_id=draft_id)
    _open_form(services, client, body, reject_modal(draft_id=draft_id, item_id=item.id or 0))


def edit(services: Services, body: dict[str, Any], client: WebClient) -> None:
    draft, item = services.replies.editable(draft_id=_draft_id(services, body))
    _open_reply_modal(services, client, body, item=item, draft=draft)


def retry(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user = body["user"]["id"]
    draft_id = _draft_id(services, body)
    services.replies.check_approver(user, verb="retry", draft_id=draft_id)
    draft = services.publisher.retry(draft_id=draft_id, user=user)
    services.publisher.kick(draft.id or 0)


def mark_sent(services: Services, body: dict[str, Any], client: WebClient) -> None:
    user = body["user"]["id"]
    draft_id = _draft_id(services, body)
    services.replies.check_approver(user, verb="mark as sent", draft_id=draft_id)
    services.publisher.mark_sent(draft_id=draft_id, user=user)


def ask_owner(services: Services, body: dict[str, Any], client: WebClient) -> None:
    item_id = _item_id(services, body)
    services.owner.owner_of(item_id=item_id)
    _open_form(services, client, body, ask_owner_modal(item=services.items.open_item(item_id)))


def answer(services: Services, body: dict[str, Any], client: WebClient) -> None:
    question = services.owner.question(_question_id(services, body))
    owner = services.owner.owner_of(item_id=question.item_id)
    if body["user"]["id"] != owner:
        raise UserError(strings.NOT_OWNER.format(owner=owner))
    _open_form(services, client, body, answer_modal(question=question))


def use_as_reply(services: Services, body: dict[str, Any], client: WebClient) -> str:
    question = services.owner.question(_question_id(services, body))
    trigger = body.get("trigger_id")
    services.replies.draft(
        item_id=question.item_id,
        text=question.answer or "",
        author=body["user"]["id"],
        source=f"action:{trigger}" if trigger else None,
    )
    return strings.USED_AS_REPLY.format(n=question.item_id)


def full_text(services: Services, body: dict[str, Any], client: WebClient) -> None:
    """Whoever sees a shortened text may read all of it: it is in the channel or DM they see,
    or public on the platform already."""
    ref = parse_ref(_value(body))
    if ref is None:
        raise UserError("That button is out of date; use the item's latest message.")
    kind, number = ref
    if kind == "item":
        services.scope.item(item_id=number, channel=_channel(body))
        item = services.items.item(number)
        platform = services.replies.platforms.for_item(item)
        label = platform.label if platform else item.platform.title()
        view = full_text_modal(item=item, platform_label=label)
    elif kind == DRAFT:
        services.scope.draft(draft_id=number, channel=_channel(body))
        draft = services.replies.get_draft(number)
        view = text_modal(title=f"Draft for #{draft.item_id}", head=[], text=draft.text)
    else:
        services.scope.question(question_id=number, channel=_channel(body))
        question = services.owner.question(number)
        words = question.question if kind == QUESTION else question.answer or ""
        title = f"{'Question' if kind == QUESTION else 'Answer'} on #{question.item_id}"
        view = text_modal(title=title, head=[], text=words)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def send_anyway(services: Services, body: dict[str, Any], client: WebClient) -> None:
    services.presend.send_anyway(draft_id=_draft_id(services, body), user=body["user"]["id"])


def open_in_channel(services: Services, body: dict[str, Any], client: WebClient) -> None:
    return None  # a link button: Slack opens the URL; the click only needs its ack


def register(app: App, *, services: Services) -> None:
    for action_id, fn in (
        (ActionId.REPLY, open_reply_modal),
        (ActionId.CLAIM, claim),
        (ActionId.CLOSE, close),
        (ActionId.APPROVE, approve),
        (ActionId.REJECT, start_reject),
        (ActionId.EDIT, edit),
        (ActionId.RETRY, retry),
        (ActionId.SEND_ANYWAY, send_anyway),
        (ActionId.MARK_SENT, mark_sent),
        (ActionId.ASK_OWNER, ask_owner),
        (ActionId.ANSWER, answer),
        (ActionId.USE_AS_REPLY, use_as_reply),
        (ActionId.OPEN_IN_CHANNEL, open_in_channel),
        (ActionId.FULL_TEXT, full_text),
        (ActionId.GROUP_MENU, group_menu),
        (ActionId.NOT_SPAM, not_spam),
    ):
        app.action(action_id.value)(_guarded(fn, services))

    @app.action(ActionId.USE_SNIPPET.value)
    def on_snippet(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()  # in a modal: nothing to answer under; refusals are logged and the modal stays
        use_snippet(services, body, client)
