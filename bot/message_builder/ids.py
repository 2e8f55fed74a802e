"""Action and view ids: one enum, so handlers and builders cannot drift apart."""

from enum import StrEnum


class ActionId(StrEnum):
    REPLY = "item_reply"
    ASK_OWNER = "item_ask_owner"
    CLAIM = "item_claim"
    CLOSE = "item_close"  # the Ignore / Spam menu
    APPROVE = "draft_approve"
    REJECT = "draft_reject"
    EDIT = "draft_edit"
    RETRY = "draft_retry"
    MARK_SENT = "draft_mark_sent"
    ANSWER = "owner_answer"
    OPEN_IN_CHANNEL = "owner_open_in_channel"
    USE_AS_REPLY = "answer_use_as_reply"
    FULL_TEXT = "item_full_text"  # opens a modal with an item's whole text; value: the item id
    GROUP_MENU = "group_item_menu"  # the overflow menu on one line of a grouped message
    NOT_SPAM = "spam_not_spam"
    SEND_ANYWAY = "draft_send_anyway"  # a held scheduled reply, confirmed
    USE_SNIPPET = "reply_use_snippet"  # the saved-reply menu in the Reply modal


class ViewId(StrEnum):
    REPLY = "reply_modal"
    REJECT = "reject_modal"
    ASK_OWNER = "ask_owner_modal"
    ANSWER = "answer_modal"


class BlockId(StrEnum):
    REPLY_TEXT = "reply_text"
    SNIPPETS = "snippets"
    SEND_AT = "send_at"
    REASON = "reason"
    QUESTION = "question"
    ANSWER = "answer"


INPUT_ACTION = "value"  # the action_id of every input element inside our modals
