"""The rows a report is computed from, read in two queries whatever the number of items.

One query reads the items received in the period with their account and their first published
reply (a correlated lookup per item); a second reads the owner questions on the same items.
Both read indexes only: `ix_item_received_report` (the period's range and every item column
used here) and `ix_draft_first_reply`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlmodel import Session, col

from bot.services.reports import OwnerQuestionRow, ReportRow
from bot.storage.models import Account, Draft, DraftStatus, Item, OwnerQuestion

# brand_of(account platform, account external id) -> brand key
BrandOf = Callable[[str, str], str]


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
    connection = session.connection()
    items = connection.execute(
        select(
            col(Item.id),
            col(Item.platform),
            col(Item.received_at),
            col(Item.state),
            col(Item.removed),
            col(Account.platform),
            col(Account.external_id),
            first_at,
        )
        .join(Account, of_account)
        .where(*in_period)
        .order_by(col(Item.received_at), col(Item.id))
    ).all()
    questions: dict[int, list[OwnerQuestionRow]] = defaultdict(list)
    for item_id, asked_at, answered_at in connection.execute(
        select(col(OwnerQuestion.item_id), col(OwnerQuestion.asked_at), col(OwnerQuestion.answered_at))
        .join(Item, col(Item.id) == col(OwnerQuestion.item_id))
        .join(Account, of_account)
        .where(*in_period)
        .order_by(col(OwnerQuestion.item_id), col(OwnerQuestion.asked_at))
    ).all():
        questions[item_id].append(
            OwnerQuestionRow(asked_at=_utc(asked_at), answered_at=_utc(answered_at) if answered_at else None)
        )
    brands: dict[tuple[str, str], str] = {}
    rows = []
    for item_id, platform, received_at, state, removed, account_platform, account_id, first_at in items:
        account = (account_platform, account_id)
        brand = brands.get(account)
        if brand is None:
            brand = brands[account] = brand_of(*account)
        rows.append(
            ReportRow(
                item_id=item_id,
                brand=brand,
                platform=platform,
                received_at=_utc(received_at),
                state=state,
                first_response_at=_utc(first_at) if first_at else None,
                removed=bool(removed),
                owner_questions=tuple(questions.get(item_id, ())),
            )
        )
    return rows
