"""The relay's error policy: what a failed task's exception means for the task and the worker.

`classify` is the one place that decides. Today every Slack API error is retried with
backoff (Slack may come back, a channel may be unarchived), a 429 pauses the worker for
Retry-After, and a transport error also stops the current batch, since Slack is unreachable
for every task. Nothing is given up on yet; `Verdict.PERMANENT` is there for when it is.
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
    PERMANENT = "permanent"  # give up on the task, keeping the error


@dataclass(frozen=True)
class Classified:
    verdict: Verdict
    error: str
    retry_after: float | None = None


def classify(exc: Exception) -> Classified | None:
    """What to do about `exc`; None for an exception the relay does not expect (a bug)."""
    if isinstance(exc, NotReady):
        return Classified(Verdict.WAIT, str(exc))
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or status)
        if status == 429:
            return Classified(
                Verdict.RATE_LIMITED, error, retry_after=float(exc.response.headers.get("Retry-After", 1))
            )
        return Classified(Verdict.RETRY, error)
    if isinstance(exc, SlackClientError):
        return Classified(Verdict.UNREACHABLE, str(exc))
    return None
