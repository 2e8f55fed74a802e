"""Loopback fakes of Slack, X and the Meta Graph API for the test-suite.

Each fake is a real HTTP server on 127.0.0.1 that the real client libraries talk to; see
``base.FakeServer`` for recording, waiting and fault injection shared by all of them.
"""

from tests.fakes import meta_webhooks
from tests.fakes.base import Call, FakeServer, Response, forbid_network
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX

__all__ = [
    "Call",
    "FakeGraph",
    "FakeServer",
    "FakeSlack",
    "FakeX",
    "Response",
    "forbid_network",
    "meta_webhooks",
]
