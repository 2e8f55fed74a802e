"""``python -m bench.pure_services``: what triage and the first-response clock cost per item.

Prints, asserts nothing. Triage runs the kinds of comments a busy day brings, each against 300 recent
items (the duplicate rule's input on a viral post), plus a long post, after loading VADER's lexicon
once. The clock computes deadlines and time left for a brand open mon-fri and Saturday mornings.
"""

from __future__ import annotations

import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

from bot.services.business_hours import business_left, deadline, parse_schedule, parse_target
from bot.services.triage import AuthorFacts, recent_item, triage

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SAMPLES = [
    "😍😍😍",
    "Love this!! Best bakery in town",
    "How much is the large one?",
    "¿Cuánto cuesta?",
    "Still waiting on my refund, 3 weeks now",
    "https://bit.ly/xyz",
    "I made $5,000 in a week trading bitcoin with @invest_jane, DM her now",
    "Amazing page! Follow me for daily giveaways and tips",
]
LONG = "This is a long review of the cake, honestly. " * 1000  # 45,000 characters


def _per_item(texts: list[str], *, rounds: int, recent_size: int) -> float:
    recent = [
        recent_item(author_id=f"u{i}", text=SAMPLES[i % len(SAMPLES)], received_at=NOW)
        for i in range(recent_size)
    ]
    author = AuthorFacts(id="me", platform="x", followers_count=12)
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            triage(text=text, received_at=NOW, author=author, recent=recent)
        timings.append((time.perf_counter() - started) / len(texts))
    return statistics.median(timings)


def main() -> None:
    started = time.perf_counter()
    triage(text="warm-up", received_at=NOW)
    print(f"triage first call (loads VADER's lexicon): {(time.perf_counter() - started) * 1e3:.0f} ms")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    typical = _per_item(SAMPLES * 50, rounds=5, recent_size=0)
    print(f"triage per item, typical comments, no recent items: {typical * 1e6:.0f} µs")
    busy = _per_item(SAMPLES * 50, rounds=5, recent_size=300)
    print(f"triage per item, typical comments, 300 recent items: {busy * 1e6:.0f} µs")
    long = _per_item([LONG], rounds=5, recent_size=0)
    print(f"triage of a 45,000-character post: {long * 1e3:.1f} ms")
    _clock()


def _clock() -> None:
    brand = parse_schedule(hours="mon-fri 09:00-18:00, sat 10:00-14:00", timezone="Europe/Berlin")
    target = parse_target(text="1h")
    instants = [NOW + timedelta(minutes=7 * i) for i in range(2000)]
    started = time.perf_counter()
    for received in instants:
        deadline(schedule=brand, received=received, target=target)
    per_deadline = (time.perf_counter() - started) / len(instants)
    due = NOW + timedelta(days=2)
    started = time.perf_counter()
    for now in instants:
        business_left(schedule=brand, now=now, due=due)
    per_left = (time.perf_counter() - started) / len(instants)
    print(f"first-response deadline (due and 75% nudge) per item: {per_deadline * 1e6:.0f} µs")
    print(f"business time left per item: {per_left * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
