"""The relay's error policy, one exception at a time."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.relay.errors import NotReady, Verdict, classify


def _api_error(status: int, error: str, headers: dict[str, str] | None = None) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError(error, response)


def test_a_429_pauses_for_retry_after() -> None:
    outcome = classify(_api_error(429, "ratelimited", {"Retry-After": "7"}))
    assert outcome is not None
    assert (outcome.verdict, outcome.retry_after) == (Verdict.RATE_LIMITED, 7.0)


def test_a_429_without_retry_after_waits_a_second() -> None:
    outcome = classify(_api_error(429, "ratelimited"))
    assert outcome is not None and outcome.retry_after == 1.0


def test_slack_refusals_are_retried_with_their_error_kept() -> None:
    for error in ("channel_not_found", "invalid_blocks", "internal_error"):
        outcome = classify(_api_error(200, error))
        assert outcome is not None
        assert (outcome.verdict, outcome.error) == (Verdict.RETRY, error)


def test_an_unreachable_slack_stops_the_batch() -> None:
    outcome = classify(SlackClientError("Connection refused"))
    assert outcome is not None and outcome.verdict is Verdict.UNREACHABLE


def test_a_message_not_posted_yet_is_waited_for() -> None:
    outcome = classify(NotReady("root item not posted yet"))
    assert outcome is not None and outcome.verdict is Verdict.WAIT


def test_anything_else_is_a_bug_and_not_swallowed() -> None:
    assert classify(KeyError("blocks")) is None
