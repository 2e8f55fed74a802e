"""The relay's error policy, one exception at a time."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.relay.errors import Cause, NotReady, Verdict, classify


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
    assert (outcome.verdict, outcome.retry_after) == (Verdict.RATE_LIMITED, 7.0)


def test_a_429_without_retry_after_waits_a_second() -> None:
    outcome = classify(_api_error(429, "ratelimited"))
    assert outcome.retry_after == 1.0


def test_slack_refusals_nobody_can_fix_by_waiting_are_permanent_with_their_error_kept() -> None:
    for error, cause in (
        ("invalid_auth", Cause.AUTH),
        ("token_revoked", Cause.AUTH),
        ("account_inactive", Cause.AUTH),
        ("channel_not_found", Cause.CHANNEL),
        ("not_in_channel", Cause.CHANNEL),
        ("is_archived", Cause.CHANNEL),
        ("msg_too_long", Cause.MESSAGE),
        ("invalid_blocks", Cause.MESSAGE),
        ("no_text", Cause.MESSAGE),
    ):
        outcome = classify(_api_error(200, error))
        assert (outcome.verdict, outcome.error, outcome.cause) == (Verdict.PERMANENT, error, cause)


def test_slacks_own_trouble_is_retried_and_stops_the_batch() -> None:
    for status, error in ((200, "internal_error"), (200, "fatal_error"), (503, "service_unavailable")):
        assert classify(_api_error(status, error)).verdict is Verdict.UNREACHABLE


def test_an_unreachable_slack_stops_the_batch() -> None:
    outcome = classify(SlackClientError("Connection refused"))
    assert outcome.verdict is Verdict.UNREACHABLE


def test_a_message_not_posted_yet_is_waited_for() -> None:
    outcome = classify(NotReady("root item not posted yet"))
    assert outcome.verdict is Verdict.WAIT


def test_anything_else_is_a_bug_parked_with_its_type() -> None:
    outcome = classify(KeyError("blocks"))
    assert (outcome.verdict, outcome.error, outcome.cause) == (
        Verdict.PERMANENT,
        "internal error (KeyError)",
        Cause.BUG,
    )
