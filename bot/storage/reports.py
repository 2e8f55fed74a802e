"""The rows a report is computed from, read in one query whatever the number of items.

One query reads the items received in the period with their account and their first published
reply (a correlated lookup per item) and their owner questions (an outer join).
It reads indexes for all but the owner questions: `ix_item_received_report` (the period's range and every item column
used here) and `ix_draft_first_reply`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlmodel import Session, col

from bot.clock import as_utc
from bot.services.reports import OwnerQuestionRow, ReportRow
from bot.storage.models import Account, Draft, DraftStatus, Item, OwnerQuestion

# brand_of(account platform, account external id) -> brand key
BrandOf = Callable[[str, str], str]


def _only(accounts: Collection[tuple[str, str]] | None) -> list[ColumnElement[bool]]:
    if accounts is None:
        return []
    chosen = select(col(Account.id)).where(
        or_(
            false(),
            *(and_(col(Account.platform) == p, col(Account.external_id) == e) for p, e in sorted(accounts)),
        )
    )
    # `+ 0` keeps SQLite on the received_at range: left bare, it walks every item of the chosen
    # accounts through the account index, whatever their age.
    return [(col(Item.account_id) + 0).in_(chosen)]


def load_report_rows(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    brand_of: BrandOf,
    accounts: Collection[tuple[str, str]] | None = None,
) -> list[ReportRow]:
    """One `ReportRow` per item received in [since, until), in order of arrival.

    Items carry no brand in the database: their account does, through the brands
    configuration, so `brand_of` names the brand of an account (e.g. from `Brands.account`).
    `accounts` ((platform, external id) pairs) keeps only those accounts' items: one brand's
    report reads one brand's rows.
    """
    in_period = (col(Item.received_at) >= since, col(Item.received_at) < until, *_only(accounts))
    of_account = col(Account.id) == col(Item.account_id)
    # The status test sits inside min(): with it in WHERE, SQLite (no statistics) walks the
    # status index over every published draft instead of the drafts of the period's items.
    # One pass over the period's items: the first published reply is a correlated lookup on
    # the draft index per item, not a grouped subquery that walks the period a second time.
    first_at = (
        select(func.min(case((col(Draft.status) == DraftStatus.PUBLISHED, col(Draft.published_at)))))
        .where(col(Draft.item_id) == col(Item.id))
        .correlate(Item)
        .scalar_subquery()
    )
    # Core rows through the session's connection: tuples, no ORM result machinery per row.
    # Owner questions come in the same pass (an item with two questions comes twice in a row):
    # a second query would walk the period's items again.
    found = (
        session.connection()
        .execute(
            select(
                col(Item.id),
                col(Item.platform),
                col(Item.received_at),
                col(Item.state),
                col(Item.removed),
                col(Account.platform),
                col(Account.external_id),
                first_at,
                col(OwnerQuestion.asked_at),
                col(OwnerQuestion.answered_at),
            )
            .join(Account, of_account)
            .outerjoin(OwnerQuestion, col(OwnerQuestion.item_id) == col(Item.id))
            .where(*in_period)
            .order_by(col(Item.received_at), col(Item.id), col(OwnerQuestion.asked_at))
        )
        .all()
    )
    brands: dict[tuple[str, str], str] = {}
    rows: list[ReportRow] = []
    questions: list[OwnerQuestionRow] = []
    for index, (
        item_id,
        platform,
        received_at,
        state,
        removed,
        *account,
        first,
        asked,
        answered,
    ) in enumerate(found):
        if asked is not None:
            questions.append(
                OwnerQuestionRow(asked_at=as_utc(asked), answered_at=as_utc(answered) if answered else None)
            )
        if index + 1 < len(found) and found[index + 1][0] == item_id:
            continue  # more questions on this item
        key = (account[0], account[1])
        brand = brands.get(key)
        if brand is None:
            brand = brands[key] = brand_of(*key)
        rows.append(
            ReportRow(
                item_id=item_id,
                brand=brand,
                platform=platform,
                received_at=as_utc(received_at),
                state=state,
                first_response_at=as_utc(first) if first else None,
                removed=bool(removed),
                owner_questions=tuple(questions),
            )
        )
        questions = []
    return rows
