"""The publish fault suite runs each case on X, Facebook and Instagram, with 1 s platform timeouts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import BOB, Bot
from tests.publish_cases import PLATFORMS, Case, case


@pytest.fixture(params=PLATFORMS)
def reply(request: pytest.FixtureRequest, x_api: FakeX, graph: FakeGraph, slack: FakeSlack) -> Case:
    """The item to answer and its platform's fake."""
    return case(request.param, x_api=x_api, graph=graph, slack=slack)


@pytest.fixture
def team(make_bot: Any) -> Bot:
    """Bob approves; Alice drafts. Platform calls give up after 1 s."""
    return make_bot(approver_slack_users=BOB, http_timeout_seconds=1)  # type: ignore[no-any-return]
