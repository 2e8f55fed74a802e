"""Queries the services share. Functions take an open session; the caller owns the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, String, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Session, col, select

from bot.storage.models import (
    AuditEvent,
    Draft,
    DraftStatus,
    Item,
    ItemMessage,
    OwnerQuestion,
)


def find_item(session: Session, *, platform: str, external_id: str) -> Item | None:
    return session.exec(
        select(Item).where(Item.platform == platform, Item.external_id == external_id)
    ).first()


def item_message(session: Session, *, item_id: int) -> ItemMessage | None:
    return session.get(ItemMessage, item_id)


def latest_draft(session: Session, *, item_id: int) -> Draft | None:
    return session.exec(
        select(Draft)
        .where(Draft.item_id == item_id, Draft.status != DraftStatus.SUPERSEDED)
        .order_by(col(Draft.id).desc())
    ).first()


def open_question_count(session: Session, *, item_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(OwnerQuestion)
        .where(OwnerQuestion.item_id == item_id, col(OwnerQuestion.answered_at).is_(None))
    ).one()


def audit(session: Session, *, item_id: int | None, actor: str, action: str, detail: str = "") -> None:
    session.add(AuditEvent(item_id=item_id, actor=actor, action=action, detail=detail))


class _NotForIndex(FunctionElement[str]):
    type = String()  # the text columns it wraps: brand, platform, user ids
    inherit_cache = True


@compiles(_NotForIndex)
def _as_is(element: _NotForIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(_NotForIndex, "sqlite")
def _unary_plus(element: _NotForIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def not_for_index(column: Any) -> Any:
    """The column's value, which on SQLite no index of that column may serve (`+column`).

    For a filter that a wider index answers better, when SQLite's planner would rather read every
    row through the column's own index. PostgreSQL chooses by cost and gets the column as is.
    """
    return _NotForIndex(column)


class _Among(ColumnElement[bool]):
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison already: SQLite needs no `= 1` after it
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("rows", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, rows: Select[Any]) -> None:
        self.column = column
        self.rows = rows.scalar_subquery()


@compiles(_Among)
def _in(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IN {compiler.process(element.rows, **kw)}"


@compiles(_Among, "postgresql")
def _any_array(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY{compiler.process(element.rows, **kw)})"


def among(column: Any, rows: Select[Any]) -> ColumnElement[bool]:
    """`column IN (rows)` for a short list of rows, looked up one by one by the column's index.

    PostgreSQL writes it `column = ANY(ARRAY(rows))`: otherwise its planner hashes the rows and
    walks the whole other side (100,000 open items for 1,000 unanswered questions, 13 ms against
    4 ms). SQLite looks them up one by one already.
    """
    return _Among(column, rows)
