"""Block Kit's documented limits, checked the way Slack refuses a payload (`invalid_blocks`).

Written from Slack's Block Kit reference (blocks, block elements, composition objects, view
object), independently of the bot's builders. Lengths are counted in characters (code points).
Each check returns the problems it found; an empty list means Slack would take the payload.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000


class _Check:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, problem: str) -> None:
        self.errors.append(f"{where}: {problem}")

    def length(self, where: str, value: Any, limit: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.fail(where, "missing")
            return
        if not isinstance(value, str):
            self.fail(where, "must be a string")
        elif len(value) > limit:
            self.fail(where, f"must be at most {limit} characters (is {len(value)})")
        elif required and not value:
            self.fail(where, "must not be empty")

    def text(self, where: str, obj: Any, limit: int, *, plain: bool = False, required: bool = True) -> None:
        if obj is None:
            if required:
                self.fail(where, "missing text object")
            return
        if not isinstance(obj, dict):
            self.fail(where, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain and kind != "plain_text"):
            self.fail(where, f"type must be {'plain_text' if plain else 'plain_text or mrkdwn'}")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.fail(where, "text must be a non-empty string")
        elif len(value) > limit:
            self.fail(where, f"text must be at most {limit} characters (is {len(value)})")

    def ids(self, where: str, obj: dict[str, Any]) -> None:
        for key in ("action_id", "block_id"):
            self.length(f"{where}.{key}", obj.get(key), 255)

    def option(self, where: str, option: Any, *, plain: bool = True) -> None:
        if not isinstance(option, dict):
            self.fail(where, "must be an option object")
            return
        self.text(f"{where}.text", option.get("text"), 75, plain=plain)
        self.length(f"{where}.value", option.get("value"), 150, required=True)
        self.text(f"{where}.description", option.get("description"), 75, plain=True, required=False)
        self.length(f"{where}.url", option.get("url"), 3000)

    def element(self, where: str, element: Any) -> None:
        if not isinstance(element, dict) or not element.get("type"):
            self.fail(where, "must be an element with a type")
            return
        kind = element["type"]
        self.ids(where, element)
        if kind == "button":
            self.text(f"{where}.text", element.get("text"), 75, plain=True)
            self.length(f"{where}.value", element.get("value"), 2000)
            self.length(f"{where}.url", element.get("url"), 3000)
            self.length(f"{where}.accessibility_label", element.get("accessibility_label"), 75)
            if element.get("style") not in (None, "primary", "danger"):
                self.fail(f"{where}.style", "must be primary or danger")
        elif kind in ("static_select", "multi_static_select"):
            self.text(f"{where}.placeholder", element.get("placeholder"), 150, plain=True, required=False)
            options = element.get("options")
            groups = element.get("option_groups")
            if (options is None) == (groups is None):
                self.fail(where, "needs exactly one of options and option_groups")
            if options is not None:
                if not isinstance(options, list) or not 1 <= len(options) <= 100:
                    self.fail(f"{where}.options", "must hold 1 to 100 options")
                else:
                    for i, option in enumerate(options):
                        self.option(f"{where}.options[{i}]", option)
        elif kind == "overflow":
            options = element.get("options")
            if not isinstance(options, list) or not 2 <= len(options) <= 5:
                self.fail(f"{where}.options", "an overflow menu holds 2 to 5 options")
            else:
                for i, option in enumerate(options):
                    self.option(f"{where}.options[{i}]", option)
        elif kind == "plain_text_input":
            self.text(f"{where}.placeholder", element.get("placeholder"), 150, plain=True, required=False)
            self.length(f"{where}.initial_value", element.get("initial_value"), 3000)
            for key in ("min_length", "max_length"):
                value = element.get(key)
                if value is not None and not (isinstance(value, int) and 0 <= value <= 3000):
                    self.fail(f"{where}.{key}", "must be a number from 0 to 3000")
            most, initial = element.get("max_length"), element.get("initial_value")
            if isinstance(most, int) and isinstance(initial, str) and len(initial) > most:
                self.fail(f"{where}.initial_value", "is longer than max_length")
        elif kind in ("image",):
            self.length(f"{where}.alt_text", element.get("alt_text"), 2000, required=True)
            self.length(f"{where}.image_url", element.get("image_url"), 3000)

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, dict) or not block.get("type"):
            self.fail(where, "must be a block with a type")
            return
        kind = block["type"]
        self.length(f"{where}.block_id", block.get("block_id"), 255)
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                self.fail(where, "a section needs text or fields")
            self.text(f"{where}.text", text, 3000, required=False)
            if fields is not None:
                if not isinstance(fields, list) or len(fields) > 10:
                    self.fail(f"{where}.fields", "at most 10 fields")
                else:
                    for i, field in enumerate(fields):
                        self.text(f"{where}.fields[{i}]", field, 2000)
            if block.get("accessory") is not None:
                self.element(f"{where}.accessory", block["accessory"])
        elif kind == "header":
            self.text(f"{where}.text", block.get("text"), 150, plain=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                self.fail(f"{where}.elements", "a context block holds 1 to 10 elements")
                return
            for i, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    self.element(f"{where}.elements[{i}]", element)
                else:
                    self.text(f"{where}.elements[{i}]", element, 3000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                self.fail(f"{where}.elements", "an actions block holds 1 to 25 elements")
                return
            for i, element in enumerate(elements):
                self.element(f"{where}.elements[{i}]", element)
        elif kind == "input":
            self.text(f"{where}.label", block.get("label"), 2000, plain=True)
            self.text(f"{where}.hint", block.get("hint"), 2000, plain=True, required=False)
            self.element(f"{where}.element", block.get("element"))
        elif kind == "image":
            self.element(where, block)
        elif kind not in ("divider", "rich_text", "file", "video", "markdown"):
            self.fail(where, f"unknown block type {kind!r}")

    def blocks(self, blocks: Any, *, limit: int) -> None:
        if not isinstance(blocks, list):
            self.fail("blocks", "must be an array")
            return
        if len(blocks) > limit:
            self.fail("blocks", f"must hold at most {limit} blocks (holds {len(blocks)})")
        for i, block in enumerate(blocks):
            self.block(f"blocks[{i}]", block)


def message_problems(blocks: Any) -> list[str]:
    """Why Slack would answer `invalid_blocks` to a message with these blocks."""
    check = _Check()
    check.blocks(blocks, limit=MESSAGE_BLOCKS)
    return check.errors


def view_problems(view: dict[str, Any]) -> list[str]:
    """Why Slack would refuse this view (`invalid_arguments` in its answer's details)."""
    check = _Check()
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.fail("view.type", "must be modal or home")
    check.text("view.title", view.get("title"), 24, plain=True, required=kind == "modal")
    check.text("view.submit", view.get("submit"), 24, plain=True, required=False)
    check.text("view.close", view.get("close"), 24, plain=True, required=False)
    check.length("view.private_metadata", view.get("private_metadata"), 3000)
    check.length("view.callback_id", view.get("callback_id"), 255)
    check.length("view.external_id", view.get("external_id"), 255)
    check.blocks(view.get("blocks", []), limit=VIEW_BLOCKS)
    inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
    if kind == "modal" and view.get("submit") is None and inputs:
        check.fail("view.submit", "a modal with input blocks needs a submit button")
    return check.errors
