"""What a rendered message shows, and the checks every builder test makes on it."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.block_kit import MESSAGE_TEXT, message_problems, view_problems

# What our own mrkdwn may contain in angle brackets: a member, a date, one http(s) link with
# one label. Anything else with `<` came from outside unescaped.
_OURS = re.compile(r"<@[UW][A-Z0-9]+>|<!date\^\d+\^[^|<>]+\|[^<>]+>|<https?://[^\s|<>]+\|[^<>|]*>")


def texts(node: Any, kind: str) -> list[str]:
    """Every text object's text of one type (`mrkdwn` or `plain_text`), in order."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == kind and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += texts(value, kind)
    elif isinstance(node, list):
        for value in node:
            found += texts(value, kind)
    return found


def unsafe(mrkdwn: str) -> list[str]:
    """Pieces of mrkdwn that Slack would read as a mention, link or command we did not write."""
    rest = _OURS.sub("", mrkdwn)
    return re.findall(r"<[^\n]{0,20}", rest)


# Hostile pieces the test inputs carry; none may reach mrkdwn raw.
HOSTILE = ("<!channel", "<!here", "<@U0EVIL", "<https://evil", "<#C0EVIL", "|bank.com>")


def _check_mrkdwn(fields: list[str]) -> None:
    for field in fields:
        assert unsafe(field) == [], field[:200]
        for piece in HOSTILE:
            assert piece not in field, (piece, field[:200])


def check_message(text: str, blocks: list[dict[str, Any]] | None) -> None:
    if blocks is not None:
        assert message_problems(blocks) == []
    assert text and len(text) <= MESSAGE_TEXT
    _check_mrkdwn([text, *texts(blocks, "mrkdwn")])
    _check_strings([text, blocks])


def check_view(view: dict[str, Any]) -> None:
    assert view_problems(view) == []
    _check_mrkdwn(texts(view, "mrkdwn"))
    _check_strings(view)


def _check_strings(node: Any) -> None:
    """Nothing JSON cannot carry to Slack: no NUL, no lone surrogate."""
    if isinstance(node, dict):
        for value in node.values():
            _check_strings(value)
    elif isinstance(node, list):
        for value in node:
            _check_strings(value)
    elif isinstance(node, str):
        assert "\x00" not in node
        node.encode("utf-8")  # raises on a lone surrogate


def shown(node: Any) -> str:
    """All plain text a reader sees, joined."""
    return "\n".join(texts(node, "plain_text"))
