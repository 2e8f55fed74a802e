"""Slack's pace for chat.postMessage: about one message per second per channel, with short bursts.

A token bucket per channel lives in the `SlackPace` table, so every process that shares the
database shares the pace. Taking a token is one conditional UPDATE that refills, checks and spends
in the database: two processes never both spend the last token. A 429 on a channel blocks
that channel alone until Retry-After.

Wall-clock time (not the app's clock): Slack counts real seconds, and tests move the app's clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Float, bindparam, case, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.storage.db import Database
from bot.storage.models import SlackPace

log = logging.getLogger(__name__)


class Paced(Exception):
    """The channel is at Slack's pace: nothing was sent; try the task again in `wait` seconds."""

    def __init__(self, channel: str, wait: float, *, routine: bool = False) -> None:
        super().__init__(f"{channel} paced for {wait:.2f}s")
        self.channel = channel
        self.wait = wait
        # Only posts that leave the reserve wait (praise one by one): questions and groups may go.
        self.routine = routine


class Pacer:
    def __init__(
        self,
        *,
        db: Database,
        per_second: float,
        burst: int,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.per_second = per_second
        self.burst = max(1, burst)
        # One token of the burst is never spent: requests from several processes reach Slack in
        # a slightly different order and spacing than they took their tokens, and that jitter
        # must not tip a channel at full pace into a 429.
        self.capacity = max(1, self.burst - 1)
        self._now = now
        # Built once (it runs for every post). The database evaluates the condition on the row it
        # updates (PostgreSQL re-checks it after waiting for another writer's lock), so no two
        # processes spend the last token.
        now_ = bindparam("now", type_=Float)
        refilled = col(SlackPace.tokens) + case(
            (col(SlackPace.updated) < now_, now_ - col(SlackPace.updated)), else_=0.0
        ) * float(self.per_second)
        level = case((refilled > float(self.capacity), float(self.capacity)), else_=refilled)
        self._spend = (
            update(SlackPace)
            .where(
                col(SlackPace.channel) == bindparam("pace_channel"),
                col(SlackPace.blocked_until) <= now_,
                level >= bindparam("least", type_=Float),
            )
            .values(tokens=level - 1.0, updated=now_)
        )

    @property
    def reserve(self) -> int:
        """Tokens routine posts leave for questions and groups, so a burst of praise cannot use them up."""
        return self.capacity // 2

    def few_seconds(self, seconds: float = 5.0) -> int:
        """How many posts Slack takes on one channel in `seconds`, a full burst included."""
        return self.burst + int(self.per_second * seconds)

    def take(self, channel: str, *, reserve: int = 0) -> None:
        """Spend one post on `channel`, or raise `Paced` with how long to wait."""
        for _ in range(20):  # lost races with another process; each retry rereads the row
            now = self._now()
            # The common case is one statement: refill the bucket, check it, spend a token.
            with self.db.connection() as connection:
                taken = connection.execute(
                    self._spend, {"pace_channel": channel, "now": now, "least": 1.0 + reserve}
                )
                if taken.rowcount == 1:
                    return
            with self.db.session() as session:
                # Not spent: say why, and for how long.
                row = session.get(SlackPace, channel)
                if row is None:
                    try:
                        session.add(SlackPace(channel=channel, tokens=self.capacity - 1, updated=now))
                        session.commit()
                        return
                    except IntegrityError:
                        session.rollback()
                        continue  # created a moment ago elsewhere
                if row.blocked_until > now:
                    raise Paced(channel, row.blocked_until - now)
                tokens = min(float(self.capacity), row.tokens + max(0.0, now - row.updated) * self.per_second)
                if tokens < 1.0:  # no post may go yet
                    raise Paced(channel, (1.0 - tokens) / self.per_second)
                if tokens < 1.0 + reserve:  # only the reserve is left: routine posts wait for more
                    raise Paced(channel, (1.0 + reserve - tokens) / self.per_second, routine=True)
                # The row changed between the two statements (another process spent or refilled): again.
        raise Paced(channel, 1.0 / self.per_second)

    def limited(self, channel: str, *, retry_after: float) -> None:
        """Slack answered 429 on `channel`: nothing goes there until Retry-After, then the steady pace.

        The bucket restarts at the reserve: routine posts may go one at a time right after the
        block, and nothing bursts into a channel Slack just refused.
        """
        until = self._now() + retry_after
        log.warning("relay.rate_limited channel=%s retry_after=%ss", channel, retry_after)
        with self.db.session() as session:
            if session.get(SlackPace, channel) is None:
                session.add(
                    SlackPace(channel=channel, tokens=float(self.reserve), updated=until, blocked_until=until)
                )
                return
            session.execute(
                update(SlackPace)
                .where(col(SlackPace.channel) == channel)
                .values(blocked_until=until, tokens=float(self.reserve), updated=until)
            )
