"""`/social brands`: each brand, its channel, owner, approvers, accounts and their health."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.brands import Brands
from bot.message_builder import strings
from bot.message_builder.format import escape


def brands_blocks(brands: Brands, *, health: Callable[[str, str], str | None]) -> list[dict[str, Any]]:
    """`health(platform, account id)` is the account's connection state in words, None if unknown."""
    blocks: list[SectionBlock] = [
        SectionBlock(text=MarkdownTextObject(text=strings.BRANDS_HEADER.format(count=len(brands))))
    ]
    for brand in brands:
        approvers = ", ".join(f"<@{a}>" for a in brand.approvers) or strings.BRANDS_ANYONE
        lines = [
            strings.BRANDS_LINE.format(
                name=escape(brand.name),
                key=brand.key,
                channel=brand.channel,
                owner=f"<@{brand.owner}>" if brand.owner else strings.BRANDS_NOBODY,
                approvers=approvers,
            )
        ]
        for account in brand.accounts:
            ident = account.external_id or "?"
            lines.append(
                strings.BRANDS_ACCOUNT.format(
                    platform=account.platform,
                    account=escape(ident),
                    channel=f" → <#{account.channel}>" if account.channel else "",
                    health=health(account.platform, ident) or strings.HEALTH_UNKNOWN,
                )
            )
        if not brand.accounts:
            lines.append(strings.BRANDS_NO_ACCOUNTS)
        text = "\n".join(lines)
        # A section takes 3,000 characters; a brand with very many accounts is cut, not refused.
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text[:2990])))
    return [block.to_dict() for block in blocks[:50]]
