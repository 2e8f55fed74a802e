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

from bot import handlers
from bot.brands import Brands, brands_from_settings
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
from bot.relay.runners.drafts import DraftRunners
from bot.relay.runners.items import ItemRunners, PermalinkRunners
from bot.relay.runners.owner import OwnerRunners
from bot.relay.runners.threads import Threads
from bot.relay.worker import Relay
from bot.services.first_response import ClockPolicy, FirstResponse, policy_for_brand
from bot.services.home import Home
from bot.services.ingest import Ingestor
from bot.services.items import Items
from bot.services.owner import Owner
from bot.services.polling import Poller
from bot.services.presend import PreSend
from bot.services.publisher import Publisher
from bot.services.replies import Replies
from bot.services.reporting import Reporting
from bot.services.schedule import Schedules, warm_up
from bot.services.snippets import Snippets, brand_of_channel
from bot.services.timezones import TimeZones
from bot.storage.db import Database
from bot.storage.models import Item

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    client: WebClient
    platforms: dict[str, Platform]
    clock: Clock
    relay: Relay  # Slack posts and updates, in order
    permalinks: Relay  # platform look-ups, on their own thread so they never hold up Slack
    ingestor: Ingestor
    pollers: dict[str, Poller]
    services: Services
    scheduler: BackgroundScheduler
    bolt: App
    health: Health

    def start(self) -> None:
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
        self.relay.start()
        self.permalinks.start()
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
        # Notes at 75% and at the target, and the time left on messages: minutes matter, not seconds.
        self._every(self.services.first_response.sweep, seconds=5, job_id="first_response")
        # Mondays 09:00 in each brand's zone; the database row makes it once across processes.
        self._every(self.services.reporting.weekly, seconds=60, job_id="weekly_report")
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
        self.relay.stop()
        self.permalinks.stop()
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


def brand_clocks(brands: Brands) -> Callable[[Item], ClockPolicy | None]:
    """Which first-response clock an item runs on.

    Items do not name their brand yet (the brands wiring adds `brand_key`): until then every
    item runs on the first brand's clock, which is the `default` brand of the single-brand setup.
    """
    policies = {brand.key: policy_for_brand(brand) for brand in brands}
    first = next(iter(brands)).key

    def policy_for(item: Item) -> ClockPolicy | None:
        return policies.get(getattr(item, "brand_key", first) or first)

    return policy_for


def build_runtime(settings: Settings, *, clock: Clock | None = None, brands: Brands | None = None) -> Runtime:
    clock = clock or SystemClock()
    brands = brands or brands_from_settings(settings)
    brand = next(iter(brands))  # the single brand until items name theirs (the brands wiring)
    db = Database(url=settings.database_url, connect_timeout=settings.http_timeout_seconds)
    db.migrate()
    db.ping()  # remembers which SQLite file is ours, so /healthz notices if it goes
    client = slack_client(settings)
    platforms = build_platforms(settings)
    threads = Threads(db=db, client=client)
    # The relay renders the clock and the clock wakes the relay: the wake is wired once both exist.
    first_response = FirstResponse(db=db, clock=clock, policy_for=brand_clocks(brands))
    relay = Relay(
        db=db,
        clock=clock,
        runners={
            **ItemRunners(threads=threads, platforms=platforms, clock_label=first_response.label).runners(),
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

    first_response.wake = relay.wake

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
        stamp=first_response.stamp,
    )
    publisher = Publisher(db=db, platforms=platforms, clock=clock, wake=relay.wake)
    presend = PreSend(db=db, clock=clock, may_approve=brand.may_approve, wake=relay.wake, kick=publisher.kick)
    publisher.pre_send = presend.check
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
        presend=presend,
        first_response=first_response,
        home=Home(
            db=db,
            clock=clock,
            clock_label=first_response.label,
            may_approve=brand.may_approve,
            owner=brand.owner,
        ),
        reporting=Reporting(db=db, client=client, clock=clock, brands=brands),
        snippets=Snippets(
            db=db, brand_of_channel=brand_of_channel(brands), brand_of_item=lambda item: brand.key
        ),
        schedules=Schedules(db=db, clock=clock, zones=zones, wake=relay.wake),
        zones=zones,
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
        platforms=platforms,
        clock=clock,
        relay=relay,
        permalinks=permalinks,
        ingestor=ingestor,
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
