"""Worst-case outside text: the longest each platform allows, markup, control characters."""

from __future__ import annotations

HOSTILE_MARKUP = (
    "<!channel> <!here> <@U0EVIL> <#C0EVIL> <https://evil.example|bank.com> *bold* _it_ ~s~ `c` &amp; &lt;"
)

TEXTS: dict[str, str] = {
    "x_280": "x" * 280,
    "x_long_post": ("Long post with <!channel> & more. " * 800)[:25_000],
    "facebook_8000": "f" * 8000,
    "instagram_2200": "i" * 2200,
    "ampersands": "&" * 8000,
    "angles": "<>" * 4000,
    "mixed_entities": "&<>" * 2666,
    "i_love_you": '"I <3 you <3 <3 "' * 150,
    "hearts_2200": "<3" * 1100,  # Instagram's 2,200 characters
    "hearts_4400": "<3" * 2200,
    "short_lines": "\n".join(f"line {n}" for n in range(1000)),
    "empty_lines": "\n" * 3000,
    "hostile": HOSTILE_MARKUP,
    "hostile_long": (HOSTILE_MARKUP + "\n") * 200,
    "nul": "before\x00after\x00" * 10,
    "lone_surrogates": "a\ud800b\udfffc" * 10,
    "rtl": "\u202eevil\u202b and \u2067isolate",
    "emoji": "😀" * 3000,
    "crlf": "one\r\ntwo\rthree",
    "empty": "",
    "spaces": "   ",
}

NAMES: dict[str, str] = {
    "plain": "Jane Doe",
    "long": "N" * 4000,
    "long_ampersands": "&" * 4000,
    "hostile": "<!channel> *Boss* <@U0EVIL>",
    "rtl": "\u202eeoD enaJ",
    "nul": "Ja\x00ne",
}

# Instagram usernames end up in the profile URL: one that tries to add a label or close the link.
HANDLES: dict[str, str] = {
    "plain": "jane",
    "label": "evil|bank.com",
    "close": "evil>|<!channel>",
    "space": "a b<@U0EVIL>",
}
