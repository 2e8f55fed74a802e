"""The composition root: builds every part from the settings once, starts and stops the background work.

Nothing else in `bot/` constructs a service, a client or the Bolt app. Listeners get the
narrow `Services` they use; jobs are the bound methods of the services they run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot import handlers
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.handlers import errors
from bot.handlers.services import Services
from bot.health import Health
from bot.platforms.base import Platform, PollingPlatform
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.graph import GraphClient
from bot.platforms.instagram import InstagramPlatform
from bot.platforms.x import XPlatform
from bot.relay.pacing import Pacer
from bot.relay.runners.drafts import DraftRunners
from bot.relay.runners.groups import Grouper, GroupRunners
from bot.relay.runners.items import ItemRunners, PermalinkRunners
from bot.relay.runners.owner import OwnerRunners
from bot.relay.runners.threads import Threads
from bot.relay.worker import Relay
from bot.services.groups import Groups
from bot.services.inbox import RawInbox
from bot.services.ingest import Ingestor
from bot.services.items import Items
from bot.services.owner import Owner
from bot.services.polling import Poller
from bot.services.publisher import Publisher
from bot.services.replies import Replies
from bot.services.schedule import Schedules, warm_up
from bot.services.timezones import TimeZones
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: WebClient
    relay_client: WebClient  # the relay's: a 429 paces its channel instead of being retried in place
    platforms: dict[str, Platform]
    clock: Clock
    relay: Relay  # Slack posts and updates, in order
    permalinks: Relay  # platform look-ups, on their own thread so they never hold up Slack
    ingestor: Ingestor
    inbox: RawInbox  # webhooks' deliveries, stored before the 200 and ingested after it
    pollers: dict[str, Poller]
    services: Services
    scheduler: BackgroundScheduler
    bolt: App
    health: Health

    def start(self) -> None:
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        self.relay.start()
        self.permalinks.start()
        self.inbox.start()
        for name, poller in self.pollers.items():
            self._every(poller.poll, seconds=self.settings.twitter_poll_seconds, job_id=f"poll:{name}")
        # The database says what is due; these clocks only look often enough to be on time.
        publisher, owner = self.services.publisher, self.services.owner
        self._every(publisher.publish_due, seconds=1, job_id="publish_due", at_start=False)
        self._every(owner.remind_due, seconds=30, job_id="remind_owner")
        self._every(publisher.recover_interrupted, seconds=60, job_id="recover_interrupted")
        self._every(
            self.health.check_all, seconds=self.settings.health_check_minutes * 60, job_id="check_health"
        )
        self.scheduler.start()
        self.relay.wake()  # post whatever was stored but not shown before a restart
        self.permalinks.wake()

    def _every(
        self, func: Callable[[], object], *, seconds: float, job_id: str, at_start: bool = True
    ) -> None:
        # APScheduler reads an explicit next_run_time=None as "paused": only pass it to run at start.
        first_run = {"next_run_time": datetime.now(UTC)} if at_start else {}
        self.scheduler.add_job(
            func, "interval", seconds=seconds, id=job_id, max_instances=1, coalesce=True, **first_run
        )

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.services.publisher.shutdown()
        self.inbox.stop()
        self.relay.stop()
        self.permalinks.stop()
        self.db.dispose()


def slack_client(settings: Settings, *, retry_rate_limited: bool = True) -> WebClient:
    """The Web API client; the relay's does not retry 429s in place, it paces that channel instead."""
    retry_handlers: list[RetryHandler] = [ConnectionErrorRetryHandler(max_retry_count=2)]
    if retry_rate_limited:
        retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/",
        timeout=int(settings.http_timeout_seconds),
        retry_handlers=retry_handlers,
    )


def build_platforms(settings: Settings) -> dict[str, Platform]:
    platforms: dict[str, Platform] = {}
    timeout = settings.http_timeout_seconds
    if settings.x_enabled:
        platforms["x"] = XPlatform(
            bearer_token=settings.twitter_bearer_token or "",
            api_key=settings.twitter_api_key or "",
            api_secret=settings.twitter_api_secret or "",
            access_token=settings.twitter_access_token or "",
            access_token_secret=settings.twitter_access_token_secret or "",
            api_url=settings.twitter_api_url,
            timeout=timeout,
            user_id=settings.twitter_user_id,
        )
    if settings.meta_enabled:
        graph = GraphClient(
            access_token=settings.facebook_page_token or "",
            graph_url=settings.meta_graph_url,
            version=settings.meta_graph_version,
            timeout=timeout,
        )
        if settings.facebook_enabled:
            platforms["facebook"] = FacebookPlatform(page_id=settings.facebook_page_id or "", graph=graph)
        if settings.instagram_enabled:
            platforms["instagram"] = InstagramPlatform(
                account_id=settings.instagram_account_id or "", graph=graph
            )
    return platforms


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    db = Database(url=settings.database_url, connect_timeout=settings.http_timeout_seconds)
    db.migrate()
    db.ping()  # remembers which SQLite file is ours, so /healthz notices if it goes
    client = slack_client(settings)
    platforms = build_platforms(settings)
    pacer = Pacer(db=db, per_second=settings.slack_posts_per_second, burst=settings.slack_burst)
    relay_client = slack_client(settings, retry_rate_limited=False)
    threads = Threads(db=db, client=relay_client, pacer=pacer)
    relay = Relay(
        db=db,
        clock=clock,
        plan=Grouper(threads=threads, clock=clock).plan,
        runners={
            **GroupRunners(threads=threads).runners(),
            **ItemRunners(threads=threads, platforms=platforms).runners(),
            **DraftRunners(threads=threads, platforms=platforms).runners(),
            **OwnerRunners(
                threads=threads, platforms=platforms, clock=clock, owner=settings.owner_slack_user
            ).runners(),
        },
    )
    permalinks = Relay(
        db=db,
        clock=clock,
        runners=PermalinkRunners(threads=threads, platforms=platforms, wake_slack=relay.wake).runners(),
        name="permalinks",
    )

    def wake() -> None:
        relay.wake()
        permalinks.wake()

    ingestor = Ingestor(
        db=db,
        default_channel=settings.slack_inbox_channel,
        channels={
            name: channel
            for name, channel in (
                ("x", settings.twitter_slack_channel),
                ("facebook", settings.facebook_slack_channel),
                ("instagram", settings.instagram_slack_channel),
            )
            if channel
        },
        owner_keywords=settings.owner_keywords,
        on_stored=wake,
    )
    publisher = Publisher(db=db, platforms=platforms, clock=clock, wake=relay.wake)
    zones = TimeZones(db=db, client=client, clock=clock)
    services = Services(
        clock=clock,
        items=Items(db=db, clock=clock, wake=relay.wake),
        replies=Replies(
            db=db,
            platforms=platforms,
            clock=clock,
            approvers=settings.approver_slack_users,
            wake=relay.wake,
            on_approved=publisher.kick,
        ),
        publisher=publisher,
        schedules=Schedules(db=db, clock=clock, zones=zones, wake=relay.wake),
        zones=zones,
        groups=Groups(db=db, clock=clock, wake=relay.wake),
        owner=Owner(
            db=db,
            clock=clock,
            owner=settings.owner_slack_user,
            reminder_every=timedelta(minutes=settings.owner_reminder_minutes),
            max_reminders=settings.owner_reminders,
            wake=relay.wake,
        ),
    )
    pollers = {
        name: Poller(db=db, platform=platform, ingestor=ingestor, clock=clock)
        for name, platform in platforms.items()
        if isinstance(platform, PollingPlatform)
    }
    bolt = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "unused-in-socket-mode",
        token_verification_enabled=False,
    )
    handlers.register(bolt, services=services)
    errors.register(bolt)
    return Runtime(
        settings=settings,
        db=db,
        client=client,
        relay_client=relay_client,
        platforms=platforms,
        clock=clock,
        relay=relay,
        permalinks=permalinks,
        ingestor=ingestor,
        inbox=RawInbox(db=db, ingestor=ingestor),
        pollers=pollers,
        services=services,
        scheduler=BackgroundScheduler(timezone="UTC"),
        bolt=bolt,
        health=Health(
            db=db,
            client=client,
            clock=clock,
            platforms=platforms,
            channels={
                name: ingestor.channels.get(name) or settings.slack_inbox_channel for name in platforms
            },
        ),
    )
