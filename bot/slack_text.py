"""Reading what people typed in Slack: escaped links, mentions and entities."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


def plain(text: str) -> str:
    """What the author meant to publish: links as typed, mentions by name, entities decoded."""
    # Slack wraps what was typed as a link: <https://shop.com/x> or <http://shop.com|shop.com>.
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return html.unescape(text).strip()


def user_id(token: str) -> str | None:
    """The user id in a mention token like `<@U123|ann>`."""
    found = _USER.fullmatch(token.strip())
    return found.group(1) if found else None
