"""The pace bucket shared through the database, and a batch taking what it will post at once."""

from __future__ import annotations

import pytest

from bot.relay.pacing import Paced, Pacer
from bot.storage.db import Database
from bot.storage.models import SlackPace


class Wall:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _tokens(db: Database, channel: str) -> float:
    with db.session() as session:
        row = session.get(SlackPace, channel)
        assert row is not None
        return row.tokens


def test_a_batch_takes_its_posts_in_one_go_and_gives_back_what_it_did_not_post(db: Database) -> None:
    wall = Wall()
    pacer = Pacer(db=db, per_second=1, burst=10, now=wall)  # 9 tokens: one is never spent
    pacer.take("C1")  # creates the bucket: 8 left
    pacer.expect({"C1": 5, "C2": 1})
    pacer.take("C1")
    assert _tokens(db, "C1") == 3  # this post and the 4 the batch announced
    pacer.take("C1")
    pacer.take("C1")
    assert _tokens(db, "C1") == 3  # taken ahead: no read of the bucket
    pacer.give_back()  # two announced posts were not made
    assert _tokens(db, "C1") == 5
    pacer.take("C1")  # the next batch announced nothing: one at a time again
    assert _tokens(db, "C1") == 4


def test_a_batch_never_takes_the_reserve_ahead_and_stops_at_the_pace(db: Database) -> None:
    wall = Wall()
    pacer = Pacer(db=db, per_second=1, burst=10, now=wall)
    pacer.take("C1")  # 8 left
    pacer.expect({"C1": 40})
    for _ in range(8 - pacer.reserve):
        pacer.take("C1", reserve=pacer.reserve)
    with pytest.raises(Paced):
        pacer.take("C1", reserve=pacer.reserve)  # praise leaves the reserve to questions
    pacer.take("C1")  # a question may use it
    pacer.give_back()
    assert _tokens(db, "C1") == pacer.reserve - 1


def test_after_a_429_nothing_taken_ahead_is_given_back(db: Database) -> None:
    wall = Wall()
    pacer = Pacer(db=db, per_second=1, burst=10, now=wall)
    pacer.take("C1")
    pacer.expect({"C1": 5})
    pacer.take("C1")  # 4 taken ahead
    pacer.limited("C1", retry_after=3)
    pacer.give_back()
    assert _tokens(db, "C1") == pacer.reserve  # Slack's count wins; the bucket restarts at the reserve
    with pytest.raises(Paced):
        pacer.take("C1")  # blocked until Retry-After
    wall.now += 3
    pacer.take("C1")
