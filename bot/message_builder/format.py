"""Text for Slack: the one escaping path for outside text, Slack's length measure, and shortening.

How Slack treats text (docs.slack.dev, "Formatting message text" and "Text object"):
- `mrkdwn` text (and a message's top-level `text`) parses `<…>` as mentions, links and
  commands and `*_~`` ` as formatting; `&`, `<` and `>` must be sent as `&amp;`, `&lt;`, `&gt;`
  to be shown as themselves. There is no escape for the formatting characters.
- `plain_text` is shown as written: no mentions, links or formatting (`emoji: false` also keeps
  `:name:` as typed). Slack stores it with `&<>` escaped, so we measure it escaped.

So text from outside (customers, platforms, people's free text) goes in `plain_text` objects
where it can, and through :func:`escape` wherever it must sit in `mrkdwn` (fallback text,
notes' fallbacks). Lengths are measured as Slack could count them at worst: after escaping,
in UTF-16 code units.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from slack_sdk.models.blocks import PlainTextObject

ELLIPSIS = "…"
SECTION_LIMIT = 3000  # section text, and every text object in a block
INPUT_LIMIT = 3000  # plain_text_input initial_value and max_length

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|[\ud800-\udfff]")
_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c"}
_ISOLATES = {"\u2066", "\u2067", "\u2068"}


def clean(text: str | None) -> str:
    """Outside text made safe to send: line breaks normalised, NUL, other control characters
    and lone surrogates (which JSON cannot carry to Slack) shown as U+FFFD, and right-to-left
    overrides closed at the end so they cannot turn our own text around."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("\ufffd", text)
    if any("\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069" for ch in text):
        embeddings = isolates = 0
        for ch in text:
            if ch in _OPENERS:
                embeddings += 1
            elif ch == "\u202c":
                embeddings = max(0, embeddings - 1)
            elif ch in _ISOLATES:
                isolates += 1
            elif ch == "\u2069":
                isolates = max(0, isolates - 1)
        text += "\u202c" * embeddings + "\u2069" * isolates
    return text


def escape(text: str | None) -> str:
    """The one way outside text enters `mrkdwn`: cleaned, then `&`, `<`, `>` as entities."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_len(text: str) -> int:
    """A string's length as Slack could count it at worst: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _cost(ch: str) -> int:
    """What one raw character costs once escaped and counted in UTF-16."""
    if ch == "&":
        return 5
    if ch in "<>":
        return 4
    return 2 if ord(ch) > 0xFFFF else 1


def escaped_len(text: str) -> int:
    return sum(_cost(ch) for ch in text)


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """The longest start of cleaned `text` whose escaped length fits `limit` (with `…` when cut);
    returns it still unescaped, and whether it was cut."""
    text = clean(text)
    if escaped_len(text) <= limit:
        return text, False
    budget, used, end = limit - _cost(ELLIPSIS), 0, 0
    for end, ch in enumerate(text):  # noqa: B007
        used += _cost(ch)
        if used > budget:
            break
    return text[:end] + ELLIPSIS, True


def chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Cleaned `text` in pieces that each fit `limit` once escaped, cut at a line break when one
    is near, so a whole text can be shown over several blocks."""
    text = clean(text)
    pieces: list[str] = []
    while text:
        used, end, cut = 0, 0, len(text)
        for end, ch in enumerate(text):
            used += _cost(ch)
            if used > limit:
                cut = end
                break
        if cut < len(text):
            newline = text.rfind("\n", 0, cut)
            if newline > cut // 2:
                cut = newline + 1
        pieces.append(text[:cut])
        text = text[cut:]
    return pieces


def plain(text: str | None, *, limit: int = SECTION_LIMIT, empty: str = "(no text)") -> PlainTextObject:
    """Outside text as Slack shows it literally, shortened to fit a text object."""
    shown, _ = shorten(text or "", limit)
    return PlainTextObject(text=shown if shown.strip() else empty, emoji=False)


def fallback(text: str, *, limit: int = 3000) -> str:
    """A message's top-level `text` (always parsed as mrkdwn) from parts already escaped: kept
    well under Slack's 40,000 characters, cut only between characters that are not an entity."""
    if slack_len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]  # never leave half an entity such as `&am`
    while slack_len(cut) > limit - 1:
        cut = cut[:-1]
    return cut + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit to sit inside `<…|…>`: `|`, `<`, `>`, spaces and controls
    percent-encoded, so a handle cannot add a label or close the link. Anything else: None."""
    if not url:
        return None
    url = clean(url)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return url_quote(url, safe="/:?#[]@!$&'()*+,;=%-._~")


URL_LIMIT = 1000  # longer links (never a real profile or post) are left out, keeping blocks in bounds


def link(url: str | None, label: str) -> str:
    """A mrkdwn link: the URL made safe, `&` in it escaped, the label escaped."""
    safe = safe_url(url)
    target = safe.replace("&", "&amp;") if safe else ""
    if not target or slack_len(target) > URL_LIMIT:
        return escape(label)
    return f"<{target}|{escape(label)}>"


def slack_date(moment: datetime, *, fmt: str = "{date_short_pretty} {time}") -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    fallback_text = aware.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(aware.timestamp())}^{fmt}|{fallback_text}>"


def age(delta_seconds: float) -> str:
    minutes = int(delta_seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h {minutes % 60}m"
    return f"{hours // 24}d {hours % 24}h"


def duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
