"""Finding 7: an exception nobody expected still answers the person, with a reference in the log."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from tests.fakes.slack_api import FakeSlack
from tests.harness import Bot


def test_an_unexpected_failure_tells_the_person_and_logs_the_reference(
    bot: Bot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # A real fault, not a mock: the table the inbox reads is gone.
    with bot.runtime.db.engine.begin() as connection:
        connection.execute(text("DROP TABLE slacktask"))
        connection.execute(text("DROP TABLE itemmessage"))
        connection.execute(text("DROP TABLE draft"))
        connection.execute(text("DROP TABLE ownerquestion"))
        connection.execute(text("DROP TABLE auditevent"))
        connection.execute(text("DROP TABLE conversation"))
        connection.execute(text("DROP TABLE item"))
    with caplog.at_level(logging.ERROR):
        answer, name = bot.command("inbox")
    assert answer.status_code == 200
    said = slack.responses(name)[-1]
    assert said["response_type"] == "ephemeral"
    assert "nothing was changed or sent" in said["text"]
    ref = re.search(r"`([0-9a-f]{8})`", said["text"])
    assert ref is not None
    logged = [r for r in caplog.records if ref.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
