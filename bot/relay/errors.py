"""The relay's error policy: what a failed task's exception means for the task and the worker.

`classify` is the one place that decides:

- a 429 pauses the whole worker for Retry-After (Slack limits a method for the workspace);
- Slack being unreachable (connection refused, a timeout, HTTP 5xx, Slack's own
  `internal_error`/`service_unavailable`...) backs the task off and stops the batch;
- an error Slack documents as a refusal nobody can fix by waiting (a revoked token, a
  missing or archived channel, a message Slack will never accept) parks the task as failed,
  with the error, for people to see and fix; `/social retry-slack` runs it again;
- any other exception is a bug in our code: parked the same way, never retried blindly and
  never left claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slack_sdk.errors import SlackApiError, SlackClientError


class NotReady(Exception):
    """The task depends on a message that is not in Slack yet; try again later."""


class Verdict(StrEnum):
    WAIT = "wait"  # a message it needs is not posted yet: no attempt counted
    RATE_LIMITED = "rate_limited"  # pause the whole worker until Retry-After
    RETRY = "retry"  # back off this task; carry on with the others
    UNREACHABLE = "unreachable"  # back off this task and stop the batch
    PERMANENT = "permanent"  # park the task as failed, keeping the error


class Cause(StrEnum):
    """Why a task was parked: decides who can be told, and where."""

    AUTH = "auth"  # the bot token itself: nothing reaches Slack, only /healthz and the log
    CHANNEL = "channel"  # the channel cannot take the bot's messages
    MESSAGE = "message"  # Slack refuses this one message
    BUG = "bug"  # an exception in our own code


# The bot token is unusable (auth.test and every method say so).
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
# chat.postMessage / chat.update: the channel is gone or closed to the bot.
CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "user_not_found",
        "user_disabled",
    }
)
# Slack's own trouble, documented as worth trying again.
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


@dataclass(frozen=True)
class Classified:
    verdict: Verdict
    error: str
    retry_after: float | None = None
    cause: Cause | None = None  # set for PERMANENT


def classify(exc: Exception) -> Classified:
    """What to do about `exc`."""
    if isinstance(exc, NotReady):
        return Classified(Verdict.WAIT, str(exc))
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or status)
        if status == 429:
            return Classified(
                Verdict.RATE_LIMITED, error, retry_after=float(exc.response.headers.get("Retry-After", 1))
            )
        if status >= 500 or error in TRANSIENT_ERRORS:
            return Classified(Verdict.UNREACHABLE, error)
        if error in AUTH_ERRORS:
            return Classified(Verdict.PERMANENT, error, cause=Cause.AUTH)
        if error in CHANNEL_ERRORS:
            return Classified(Verdict.PERMANENT, error, cause=Cause.CHANNEL)
        # Any other `ok: false` is Slack refusing this request as sent (msg_too_long,
        # invalid_blocks, no_text, message_not_found...): the same request fails again.
        return Classified(Verdict.PERMANENT, error, cause=Cause.MESSAGE)
    if isinstance(exc, SlackClientError | OSError):
        return Classified(Verdict.UNREACHABLE, f"Slack could not be reached ({type(exc).__name__})")
    return Classified(Verdict.PERMANENT, f"internal error ({type(exc).__name__})", cause=Cause.BUG)
