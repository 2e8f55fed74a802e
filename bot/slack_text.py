"""Reading what people typed in Slack: escaped links, mentions and entities."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


# What only Slack can read: a reply still holding one would publish Slack's markup verbatim.
_SLACK_ONLY = re.compile(r"<(?:[@#!]|(?:https?|mailto):)[^>]*>")


def plain(text: str, *, names: Callable[[str], str | None] | None = None) -> str:
    """What the author meant to publish: links as typed, mentions by name, entities decoded.

    With `names` (a user id to the name people know them by), a mention Slack sent without
    a name (`<@W111>`, as in thread replies) reads "@Name"; one nobody can name, and a
    channel without its name, stay as Slack sent them, so approving refuses them
    (`slack_only`) instead of publishing an id.
    """

    def user(m: re.Match[str]) -> str:
        name = m.group(2) or (names(m.group(1)) if names else None)
        if name:
            return "@" + name
        return m.group(0) if names else "@" + m.group(1)

    def channel(m: re.Match[str]) -> str:
        if m.group(2):
            return "#" + m.group(2)
        return m.group(0) if names else "#" + m.group(1)

    # Slack wraps what was typed as a link: <https://shop.com/x> or <http://shop.com|shop.com>.
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _USER.sub(user, text)
    text = _CHANNEL.sub(channel, text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return html.unescape(text).strip()


def slack_only(text: str) -> list[str]:
    """Slack-only markup in a text meant for another platform (`<@U1>`, `<#C1>`, `<!here>`, `<url|label>`)."""
    return list(dict.fromkeys(_SLACK_ONLY.findall(text)))


def user_id(token: str) -> str | None:
    """The user id in a mention token like `<@U123|ann>`."""
    found = _USER.fullmatch(token.strip())
    return found.group(1) if found else None
