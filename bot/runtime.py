"""Wiring: builds every part from the settings once, starts and stops the background work."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot import jobs
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.platforms.base import Platform, PollingPlatform
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.graph import GraphClient
from bot.platforms.instagram import InstagramPlatform
from bot.platforms.x import XPlatform
from bot.services.ingest import Ingestor
from bot.services.items import Items
from bot.services.owner import Owner
from bot.services.owner import register_runners as register_owner_runners
from bot.services.polling import Poller
from bot.services.publisher import Publisher
from bot.services.relay import Relay
from bot.services.replies import Replies
from bot.services.replies import register_runners as register_reply_runners
from bot.services.schedule import Schedules, warm_up
from bot.services.timezones import TimeZones
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: WebClient
    platforms: dict[str, Platform]
    clock: Clock
    relay: Relay
    ingestor: Ingestor
    pollers: dict[str, Poller]
    items: Items
    replies: Replies
    publisher: Publisher
    schedules: Schedules
    zones: TimeZones
    owner: Owner
    scheduler: BackgroundScheduler
    bolt: App
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def start(self) -> None:
        jobs.bind(self)
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        self.relay.start()
        for name in self.pollers:
            self._every(
                jobs.poll, seconds=self.settings.twitter_poll_seconds, job_id=f"poll:{name}", extra=[name]
            )
        # The database says what is due; these clocks only look often enough to be on time.
        self._every(jobs.publish_due, seconds=1, job_id="publish_due", at_start=False)
        self._every(jobs.remind_owner, seconds=30, job_id="remind_owner")
        self._every(jobs.recover_interrupted, seconds=60, job_id="recover_interrupted")
        self.scheduler.start()
        self.relay.wake()  # post whatever was stored but not shown before a restart

    def _every(
        self,
        func: Callable[..., None],
        *,
        seconds: float,
        job_id: str,
        extra: list[str] | None = None,
        at_start: bool = True,
    ) -> None:
        # APScheduler reads an explicit next_run_time=None as "paused": only pass it to run at start.
        first_run = {"next_run_time": datetime.now(UTC)} if at_start else {}
        self.scheduler.add_job(
            func,
            "interval",
            seconds=seconds,
            args=[self.key, *(extra or [])],
            id=job_id,
            max_instances=1,
            coalesce=True,
            **first_run,
        )

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.publisher.shutdown()
        self.relay.stop()
        jobs.unbind(self)
        self.db.dispose()


def slack_client(settings: Settings) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/",
        timeout=int(settings.http_timeout_seconds),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
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
    from bot.app import build_app  # the handlers import services; keep the import graph one-way

    clock = clock or SystemClock()
    db = Database(url=settings.database_url)
    db.migrate()
    client = slack_client(settings)
    platforms = build_platforms(settings)
    relay = Relay(db=db, client=client, platforms=platforms, clock=clock)
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
        on_stored=relay.wake,
    )
    items = Items(db=db, clock=clock, wake=relay.wake)
    publisher = Publisher(db=db, platforms=platforms, clock=clock, wake=relay.wake)
    replies = Replies(
        db=db,
        platforms=platforms,
        clock=clock,
        approvers=settings.approver_slack_users,
        wake=relay.wake,
        on_approved=publisher.kick,
    )
    register_reply_runners(relay)
    zones = TimeZones(db=db, client=client, clock=clock)
    schedules = Schedules(db=db, clock=clock, zones=zones, wake=relay.wake)
    owner = Owner(
        db=db,
        clock=clock,
        owner=settings.owner_slack_user,
        reminder_every=timedelta(minutes=settings.owner_reminder_minutes),
        max_reminders=settings.owner_reminders,
        wake=relay.wake,
    )
    register_owner_runners(relay, owner=settings.owner_slack_user)
    pollers = {
        name: Poller(db=db, platform=platform, ingestor=ingestor, clock=clock)
        for name, platform in platforms.items()
        if isinstance(platform, PollingPlatform)
    }
    runtime = Runtime(
        settings=settings,
        db=db,
        client=client,
        platforms=platforms,
        clock=clock,
        relay=relay,
        ingestor=ingestor,
        pollers=pollers,
        items=items,
        replies=replies,
        publisher=publisher,
        schedules=schedules,
        zones=zones,
        owner=owner,
        scheduler=BackgroundScheduler(timezone="UTC"),
        bolt=App(
            client=client,
            signing_secret=settings.slack_signing_secret or "unused-in-socket-mode",
            token_verification_enabled=False,
        ),
    )
    build_app(runtime)
    return runtime
