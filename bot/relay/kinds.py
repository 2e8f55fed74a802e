"""What the relay can be asked to do: one member per kind of `SlackTask`."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class TaskKind(StrEnum):
    # The item's own message in its channel.
    POST_ITEM = "post_item"
    UPDATE_ITEM = "update_item"
    # A message in the item's thread (`text`, `blocks_json`).
    NOTE = "note"
    # A draft's message in the item's thread (`ref_id` is the draft).
    DRAFT_MESSAGE = "draft_message"
    UPDATE_DRAFT = "update_draft"
    # The owner's DM about a question (`ref_id` is the question).
    OWNER_DM = "owner_dm"
    UPDATE_OWNER_DM = "update_owner_dm"
    OWNER_REMINDER = "owner_reminder"
    OWNER_THANKS = "owner_thanks"
    # A message listing several items (`ref_id` is the `ItemGroup`): posted once, then edited.
    RENDER_GROUP = "render_group"
    # A platform look-up, kept off the Slack worker: a slow platform must not delay Slack posts.
    FETCH_PERMALINK = "fetch_permalink"
    # The Spam action on a platform that can hide a comment (YouTube: held for review).
    HOLD_FOR_REVIEW = "hold_for_review"

    @property
    def collapses(self) -> bool:
        """A re-render from the database: several pending ones of one message are one task."""
        return self in _RERENDERS

    @property
    def talks_to_slack(self) -> bool:
        return self not in (TaskKind.FETCH_PERMALINK, TaskKind.HOLD_FOR_REVIEW)


class Priority(IntEnum):
    """The relay runs due tasks lowest first, then oldest first (a busy day's order of things)."""

    PEOPLE = 0  # what people just did (updates, notes, drafts, promotions) and storm listings
    QUESTION = 10  # a question's own message
    URGENT = 11  # a complaint's or an owner-keyword item's own message
    GROUP = 15  # praise and comments grouped in one message
    LISTED_QUESTION = 20  # already seen in a storm listing: its own message follows at Slack's pace
    LISTED_URGENT = 21
    ROUTINE = 30  # praise and comments, one message each, while Slack keeps up
    SPAM_DIGEST = 31  # the hour's "Filtered as likely spam": out of the way, after everything else

    @staticmethod
    def is_routine(priority: int) -> bool:
        """Posts that leave part of a channel's burst to questions and grouped messages."""
        return priority >= Priority.ROUTINE


_RERENDERS = frozenset(
    {TaskKind.UPDATE_ITEM, TaskKind.UPDATE_DRAFT, TaskKind.UPDATE_OWNER_DM, TaskKind.RENDER_GROUP}
)
SLACK_KINDS = frozenset(kind for kind in TaskKind if kind.talks_to_slack)
PLATFORM_KINDS = frozenset(TaskKind) - SLACK_KINDS
