"""The replies part (issue 3) and the schedule part (issue 4) of ``python -m bench``.

Both run a fresh bot (``BenchBot``, waitress) on loopback against the Slack and Graph fakes, with a
fresh SQLite file; they print figures and return markdown table rows. Nothing is asserted.

* replies: HTTP acknowledgement of ``/social draft`` commands and Approve clicks while the Graph API
  takes 2 s to accept a reply; then approve-click 200 -> the Graph fake receiving the reply.
* schedule: many approved drafts due at the same instant, published by the real scheduler sweep.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import update
from sqlmodel import col, func, select

from bench.instruments import Stopwatch, tune_fake
from bench.load import SLACK_NOT_LIMITING, BenchBot
from bench.remote import RemoteGraph, reply_posts
from bench.stats import Summary, fmt_ms, verdict
from bot.platforms.base import Author, IncomingItem
from bot.storage.models import Draft, DraftStatus, SlackTask
from tests.fakes.graph_api import FakeGraph
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX
from tests.harness import (
    ALICE,
    BOB,
    PAGE_ID,
    click_payload,
    command_body,
    interaction_body,
    settings_for,
    slack_headers,
)

ACK_TARGET_MS = 100.0  # p99 of a command's / click's HTTP answer (issue 3)
PUBLISH_TARGET_MS = 1000.0  # approve click 200 -> reply on the platform (issue 3)
GRAPH_SLOW_S = 2.0  # how long the Graph fake takes to accept a reply in the ack phase


# -- Slack's side: signed command and block_actions POSTs -----------------------------------------


def click_body(slack: FakeSlack, action_id: str, value: str, *, user: str, name: str) -> bytes:
    return interaction_body(click_payload(slack, action_id, name=name, user=user, value=value))


@dataclass(frozen=True)
class Answer:
    key: int
    status: int
    latency: float  # seconds, request sent -> response read
    answered_at: float  # time.time() once the response was read (comparable with Call.at)


def _post(session: requests.Session, url: str, key: int, body: bytes) -> Answer:
    headers = slack_headers(body, content_type="application/x-www-form-urlencoded")
    started = time.perf_counter()
    try:
        status = session.post(url + "/slack/events", data=body, headers=headers, timeout=30).status_code
    except requests.RequestException:
        status = 0
    return Answer(key, status, time.perf_counter() - started, time.time())


def send_all(url: str, bodies: list[tuple[int, bytes]], clients: int, pause: float = 0.0) -> list[Answer]:
    """``clients`` threads, each with a keep-alive session, sending their share one after another."""
    shares = [bodies[i::clients] for i in range(clients)]

    def client(share: list[tuple[int, bytes]]) -> list[Answer]:
        with requests.Session() as session:
            session.trust_env = False
            session.get(url + "/healthz", timeout=10)
            out = []
            for key, body in share:
                out.append(_post(session, url, key, body))
                if pause:
                    time.sleep(pause)
            return out

    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="slack-client") as pool:
        return [a for result in pool.map(client, shares) for a in result]


# -- the bot ----------------------------------------------------------------------------------------


def ingest_items(bot: BenchBot, graph: FakeGraph | RemoteGraph, *, post: int, count: int) -> dict[int, str]:
    """``count`` Facebook comments straight through the ingestor; item id -> comment id."""
    post_id = f"{PAGE_ID}_{post}"
    items = {}
    for n in range(1, count + 1):
        comment_id = f"{post}_{n}"
        message = f"Do you ship to Canada? Order {post}-{n}."
        graph.add_fb_comment(
            comment_id=comment_id, post_id=post_id, message=message, from_id=str(20_000 + n), from_name="Jo"
        )
        item_id = bot.runtime.ingestor.ingest(
            IncomingItem(
                platform="facebook",
                external_id=comment_id,
                account_external_id=PAGE_ID,
                author=Author(id=str(20_000 + n), name=f"Customer {n}", handle=f"Customer {n}", url=""),
                text=message,
                url=f"https://www.facebook.com/{comment_id}",
                created_at=datetime.now(UTC),
                conversation_id=post_id,
            )
        )
        assert item_id is not None
        items[item_id] = comment_id
    return items


def wait_until(predicate: Callable[[], bool], *, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def drafts_by_item(bot: BenchBot, item_ids: list[int], status: DraftStatus) -> dict[int, int]:
    with bot.runtime.db.session() as session:
        rows = session.exec(
            select(Draft.item_id, Draft.id).where(col(Draft.item_id).in_(item_ids), Draft.status == status)
        ).all()
    return {item_id: draft_id for item_id, draft_id in rows if draft_id is not None}


def graph_posts(graph: FakeGraph | RemoteGraph) -> list[tuple[str, float]]:
    """(replied-to comment id, time.time() the fake received it) for each POST /{id}/comments."""
    return graph.reply_posts() if isinstance(graph, RemoteGraph) else reply_posts(graph)


def relay_backlog(bot: BenchBot) -> int:
    with bot.runtime.db.session() as session:
        return int(
            session.exec(
                select(func.count()).select_from(SlackTask).where(col(SlackTask.done).is_(False))
            ).one()
        )


def start_bot(
    tmp: Path, name: str, slack: FakeSlack, x_api: FakeX, graph: FakeGraph | RemoteGraph, threads: int
) -> BenchBot:
    for fake in (slack, graph, x_api):
        if not isinstance(fake, RemoteGraph):  # tuned in its own process
            tune_fake(fake, nodelay=True)
    settings = settings_for(
        database_url=f"sqlite:///{tmp / f'{name}.db'}",
        slack=slack,
        x_api=x_api,
        graph=graph,
        approver_slack_users=BOB,
        **SLACK_NOT_LIMITING,
    )
    bot = BenchBot(settings, threads=threads, watch=Stopwatch())
    bot.start()
    return bot


def _measured(s: Summary, key: float, expected: int | None = None) -> str:
    missing = f", only {s.count}/{expected}" if expected is not None and s.count < expected else ""
    return f"**{fmt_ms(key)}** (p50 {fmt_ms(s.p50)}, max {fmt_ms(s.max)}{missing})"


# -- replies (issue 3) ------------------------------------------------------------------------------


def replies(tmp: Path, *, count: int, clients: int, threads: int, publish_count: int) -> list[str]:
    print(f"\n== replies (issue 3): {count} drafts + {count} Approve clicks from {clients} clients")
    with FakeSlack() as slack, FakeX() as x_api, FakeGraph() as graph:
        bot = start_bot(tmp, "replies", slack, x_api, graph, threads)
        try:
            items = ingest_items(bot, graph, post=3001, count=count + publish_count)
            ack_items = list(items)[:count]
            pub_items = list(items)[count:]
            wait_until(lambda: relay_backlog(bot) == 0, timeout=60)
            graph.delay(GRAPH_SLOW_S, path_contains="/comments")
            print(f"  Graph fake: every /comments request delayed {GRAPH_SLOW_S:g} s")

            bodies = [
                (n, command_body(slack, f"draft {n} Yes, we ship to Canada!", user=ALICE, name=f"d{n}"))
                for n in ack_items
            ]
            started = time.perf_counter()
            drafts = send_all(bot.url, bodies, clients)
            print(f"  draft commands: {time.perf_counter() - started:.2f} s for {len(drafts)}")
            wait_until(lambda: len(drafts_by_item(bot, ack_items, DraftStatus.PENDING)) == count, timeout=30)
            draft_ids = drafts_by_item(bot, ack_items, DraftStatus.PENDING)

            bodies = [
                (d, click_body(slack, "draft_approve", str(d), user=BOB, name=f"a{d}"))
                for d in draft_ids.values()
            ]
            started = time.perf_counter()
            clicks = send_all(bot.url, bodies, clients)
            print(f"  approve clicks: {time.perf_counter() - started:.2f} s for {len(clicks)}")
            draft_ack = Summary.of_seconds([a.latency for a in drafts if a.status == 200])
            click_ack = Summary.of_seconds([a.latency for a in clicks if a.status == 200])
            print(
                f"  draft ack      HTTP 200 {sum(a.status == 200 for a in drafts)}/{len(drafts)}  {draft_ack.line()}"
            )
            print(
                f"  approve ack    HTTP 200 {sum(a.status == 200 for a in clicks)}/{len(clicks)}  {click_ack.line()}"
            )
            out = wait_until(
                lambda: len(graph_posts(graph)) >= len(clicks), timeout=count * GRAPH_SLOW_S + 30
            )
            last = max((at for _, at in graph_posts(graph)), default=math_nan())
            first_click = min(a.answered_at - a.latency for a in clicks)
            print(
                f"  slow replies out: {len(graph_posts(graph))}/{len(clicks)} "
                f"({'all' if out else 'timed out'}), last {last - first_click:.1f} s after the first click"
            )
            wait_until(lambda: relay_backlog(bot) == 0, timeout=60)

            # approval -> publication, Graph answering at once
            graph.delay(0, path_contains="/comments")
            for n in pub_items:
                bot.runtime.services.replies.draft(item_id=n, text="Yes, we ship to Canada!", author=ALICE)
            wait_until(lambda: relay_backlog(bot) == 0, timeout=60)
            pending = drafts_by_item(bot, pub_items, DraftStatus.PENDING)
            comment_of = {d: items[n] for n, d in pending.items()}
            bodies = [
                (d, click_body(slack, "draft_approve", str(d), user=BOB, name=f"p{d}"))
                for d in pending.values()
            ]
            before = len(graph_posts(graph))
            pubs = send_all(bot.url, bodies, 1, pause=0.1)
            wait_until(lambda: len(graph_posts(graph)) - before >= len(pubs), timeout=30)
            received = {comment: at for comment, at in graph_posts(graph)}
            gaps = [
                received[comment_of[a.key]] - a.answered_at
                for a in pubs
                if a.status == 200 and comment_of[a.key] in received
            ]
            to_graph = Summary.of_seconds(gaps)
            print(f"  approve 200 -> Graph POST ({len(pubs)} clicks, one every 0.1 s): {to_graph.line()}")
            if to_graph.min < 0:
                print("    (negative: the reply reached Graph before the client had read the click's 200)")
        finally:
            bot.stop()
    return [
        f"| `/social draft N` ack, {count} from {clients} clients, Graph POST slow {GRAPH_SLOW_S:g} s, p99 "
        f"| < 100 ms | {_measured(draft_ack, draft_ack.p99, count)} {verdict(draft_ack.p99, ACK_TARGET_MS)} |",
        f"| Approve click ack, {count} from {clients} clients, Graph POST slow {GRAPH_SLOW_S:g} s, p99 "
        f"| < 100 ms | {_measured(click_ack, click_ack.p99, count)} {verdict(click_ack.p99, ACK_TARGET_MS)} |",
        f"| Approve 200 → reply at Graph, {publish_count} drafts, p99 | < 1 s | "
        f"{_measured(to_graph, to_graph.p99, publish_count)} {verdict(to_graph.p99, PUBLISH_TARGET_MS)} |",
    ]


def math_nan() -> float:
    return float("nan")


# -- schedule (issue 4) -----------------------------------------------------------------------------


def schedule(tmp: Path, *, count: int, lead: float, threads: int) -> list[str]:
    print(f"\n== schedule (issue 4): {count} approved drafts due at the same instant, ~{lead:g} s ahead")
    # The platform answers from a process of its own, as a real one does: in the bot's process the
    # fake would spend the CPU of the sends being timed on answering them.
    with FakeSlack() as slack, FakeX() as x_api, RemoteGraph() as graph:
        bot = start_bot(tmp, "schedule", slack, x_api, graph, threads)
        try:
            began = time.perf_counter()
            items = ingest_items(bot, graph, post=4001, count=count)
            later = datetime.now(UTC) + timedelta(hours=1)  # not due while we set up
            for n in items:
                draft = bot.runtime.services.replies.draft(
                    item_id=n, text="Sale starts Friday!", author=ALICE, send_at=later
                )
                assert draft.id is not None
                bot.runtime.services.replies.approve(user=BOB, draft_id=draft.id)
            setup = time.perf_counter() - began
            backlog = relay_backlog(bot)
            # Replies scheduled earlier in the day: the Slack messages of their drafts and approvals
            # went out long ago, so the relay is not still posting them when the replies fall due.
            drained = wait_until(lambda: relay_backlog(bot) == 0, timeout=240, step=0.5)
            print(
                f"  setup (ingest, draft, approve via services): {setup:.1f} s; relay backlog {backlog} "
                f"tasks, {'drained' if drained else f'{relay_backlog(bot)} left'} "
                f"{time.perf_counter() - began - setup:.1f} s later"
            )
            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
            with bot.runtime.db.session() as session:
                moved = session.execute(
                    update(Draft).where(col(Draft.status) == DraftStatus.APPROVED).values(send_at=due)
                ).rowcount  # type: ignore[attr-defined]
            print(
                f"  {moved} drafts due at {due:%H:%M:%S} UTC ({due.timestamp() - time.time():.1f} s from now)"
            )
            early = [p for p in graph_posts(graph) if p[1] < due.timestamp()]
            done = wait_until(lambda: len(graph_posts(graph)) >= count, timeout=lead + 60, step=0.1)
            time.sleep(2)  # let a stray duplicate show up if there is one
            posts = graph_posts(graph)
            per_comment = Counter(comment for comment, _ in posts)
            lateness = Summary.of_seconds([at - due.timestamp() for _, at in posts])
            all_out = max((at for _, at in posts), default=math_nan()) - due.timestamp()
            once = done and len(per_comment) == count and set(per_comment.values()) == {1} and not early
            with bot.runtime.db.session() as session:
                states = Counter(session.exec(select(Draft.status)).all())
            print(
                f"  published {len(posts)} POSTs for {len(per_comment)} comments ({'all' if done else 'timed out'})"
            )
            print(f"  lateness (Graph call - send_at): {lateness.line()}")
            print(
                f"  all out {all_out:.2f} s after send_at = {count / max(all_out, 1e-9):.0f} replies/s overall"
            )
            print(f"  draft states after: {dict(states)}; relay backlog now {relay_backlog(bot)}")
            print(f"  each once: {'yes' if once else 'no'}")
        finally:
            bot.stop()
    return [
        f"| Scheduled reply lateness, {count} due at once, p99 | (issue 4) | "
        f"{_measured(lateness, lateness.p99, count)} |",
        f"| Time until all {count} are out (last Graph POST - send_at) | (issue 4) | **{all_out:.2f} s** |",
        f"| Each published exactly once | yes | **{'yes' if once else 'no'}** |",
    ]
