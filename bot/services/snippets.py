"""Saved replies, per brand: a name and a text the Reply modal can fill in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from bot.brands import Brands
from bot.message_builder import strings
from bot.services.errors import UserError
from bot.storage.db import Database
from bot.storage.models import Item, Snippet

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_TEXT = 3000  # the Reply modal's input holds this much
MAX_SNIPPETS = 100  # a static_select holds 100 options


@dataclass(frozen=True)
class SavedReply:
    id: int
    name: str
    text: str


@dataclass
class Snippets:
    db: Database
    brands: Brands

    def brand_of_channel(self, channel: str) -> str:
        """The brand whose saved replies a command in `channel` means.

        In a DM or a channel of no brand there is no telling which brand is meant, unless
        there is only one: the command is refused there, naming the brands' channels.
        """
        brand = self.brands.for_channel(channel) if channel else None
        if brand is not None:
            return brand.key
        if len(self.brands) == 1:
            return next(iter(self.brands)).key
        channels = ", ".join(f"<#{b.channel}>" for b in self.brands)
        raise UserError(strings.SNIPPET_WHICH_BRAND.format(channels=channels))

    @staticmethod
    def brand_of_item(item: Item) -> str:
        """The Reply modal offers the saved replies of the item's own brand."""
        return item.brand_key

    def add(self, *, brand: str, name: str, text: str, user: str) -> SavedReply:
        key = name.lower()
        if not NAME.fullmatch(key):
            raise UserError(strings.SNIPPET_BAD_NAME)
        if not text.strip():
            raise UserError(strings.SNIPPET_EMPTY.format(name=key))
        if len(text) > MAX_TEXT or "\x00" in text:
            raise UserError(strings.SNIPPET_TOO_LONG.format(limit=MAX_TEXT))
        try:
            with self.db.session() as session:
                count = len(session.exec(select(Snippet.id).where(Snippet.brand_key == brand)).all())
                if count >= MAX_SNIPPETS:
                    raise UserError(strings.SNIPPET_FULL.format(limit=MAX_SNIPPETS))
                row = Snippet(brand_key=brand, name=key, text=text, created_by=user)
                session.add(row)
                session.flush()
                return SavedReply(id=row.id or 0, name=row.name, text=row.text)
        except IntegrityError:
            raise UserError(strings.SNIPPET_EXISTS.format(name=key)) from None

    def all(self, *, brand: str) -> list[SavedReply]:
        with self.db.session() as session:
            rows = session.exec(
                select(Snippet).where(Snippet.brand_key == brand).order_by(col(Snippet.name))
            ).all()
            return [SavedReply(id=r.id or 0, name=r.name, text=r.text) for r in rows]

    def delete(self, *, brand: str, name: str) -> None:
        with self.db.session() as session:
            gone = session.execute(
                delete(Snippet).where(col(Snippet.brand_key) == brand, col(Snippet.name) == name.lower())
            )
            if gone.rowcount != 1:  # type: ignore[attr-defined]
                raise UserError(strings.SNIPPET_UNKNOWN.format(name=name[:40]))

    def get(self, *, brand: str, snippet_id: int) -> SavedReply:
        with self.db.session() as session:
            row = session.get(Snippet, snippet_id)
        if row is None or row.brand_key != brand:
            raise UserError(strings.SNIPPET_GONE)
        return SavedReply(id=row.id or 0, name=row.name, text=row.text)
