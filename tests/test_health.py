"""Finding 16 and SPEC "Health": /healthz checks, one notice on failure, one on recovery."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import APP_SECRET, INBOX, TEAM_TOKEN


def _notices(slack: FakeSlack, word: str) -> list[str]:
    return [p["text"] for p in slack.posted(INBOX) if word in p.get("text", "") and p["text"].startswith(":")]


def test_a_revoked_platform_is_told_once_across_processes_and_once_when_it_recovers(
    make_bot: Any, slack: FakeSlack, x_api: FakeX
) -> None:
    first, second = make_bot(), make_bot()
    x_api.revoke_credentials()
    first.runtime.health.check_all()
    second.runtime.health.check_all()
    first.runtime.health.check_all()
    warnings = _notices(slack, "*X*")
    assert len(warnings) == 1
    assert warnings[0].startswith(":warning: *X* is not working: ")
    assert "Unauthorized" in warnings[0] and "TWITTER_" in warnings[0]
    health = first.http.get(first.url + "/healthz", timeout=10)
    assert health.status_code == 200  # a platform problem shows in its check only
    check = health.json()["checks"]["x"]
    assert check["ok"] is False and "Unauthorized" in check["error"] and check["since"]
    x_api.revoke_credentials(False)
    second.runtime.health.check_all()
    first.runtime.health.check_all()
    notices = _notices(slack, "*X*")
    assert len(notices) == 2 and notices[1] == ":white_check_mark: *X* works again."
    assert first.http.get(first.url + "/healthz", timeout=10).json()["checks"]["x"] == {"ok": True}


def test_an_invalidated_page_token_and_one_about_to_expire(
    bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.set_token_expiry("page-token", int(time.time()) + 3 * 86400)
    bot.runtime.health.check_all()
    bot.runtime.health.check_all()
    expiring = [t for t in _notices(slack, "expires on")]
    assert {t.split("*")[1] for t in expiring} == {"Facebook", "Instagram"}
    assert all("FACEBOOK_PAGE_TOKEN" in t for t in expiring)
    graph.invalidate_token("page-token")
    bot.runtime.health.check_all()
    failed = _notices(slack, "is not working")
    assert {t.split("*")[1] for t in failed} == {"Facebook", "Instagram"}
    assert all("session has been invalidated" in t for t in failed)


def test_healthz_is_503_when_slack_refuses_the_token(bot: Any, slack: FakeSlack) -> None:
    slack.revoke_token(TEAM_TOKEN)
    bot.runtime.health.check_all()
    health = bot.http.get(bot.url + "/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["checks"]["slack"]["error"] == "token_revoked"


def test_with_the_app_id_the_expiry_is_asked_with_the_app_token_meta_documents(
    make_bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.set_app(app_id="1234567890", app_secret=APP_SECRET, debug_needs_app_token=True)
    graph.set_token_expiry("page-token", int(time.time()) + 3 * 86400)
    bot = make_bot(meta_app_id="1234567890")
    bot.runtime.health.check_all()
    slack.wait_for(
        lambda: {t.split("*")[1] for t in _notices(slack, "expires on")} == {"Facebook", "Instagram"}
    )
    asked = graph.calls_to("debug_token")
    assert asked and all(c.params.get("access_token") == f"1234567890|{APP_SECRET}" for c in asked)


def test_without_the_app_id_a_refused_self_inspection_is_no_failure(
    bot: Any, slack: FakeSlack, graph: FakeGraph
) -> None:
    graph.set_app(app_id="1234567890", app_secret=APP_SECRET, debug_needs_app_token=True)
    graph.set_token_expiry("page-token", int(time.time()) + 3 * 86400)
    bot.runtime.health.check_all()
    assert graph.calls_to("debug_token"), "the token was asked about itself"
    assert _notices(slack, "is not working") == []  # the token works: only its expiry is unknown
    assert _notices(slack, "expires on") == []
    checks = bot.http.get(bot.url + "/healthz", timeout=10).json()["checks"]
    assert checks["facebook"] == {"ok": True} and checks["instagram"] == {"ok": True}
