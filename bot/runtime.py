"""The composition root: builds every part from the settings once, starts and stops the background work.

Nothing else in `bot/` constructs a service, a client or the Bolt app. Listeners get the
narrow `Services` they use; jobs are the bound methods of the services they run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot import handlers
from bot.brands import Account as BrandAccount
from bot.brands import (
    BlueskyAccount,
    Brands,
    FacebookAccount,
    InstagramAccount,
    LinkedInAccount,
    XAccount,
    YouTubeAccount,
    ignored_variables,
    resolve_brands,
    secret_environ,
)
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.handlers import errors
from bot.handlers.services import Services
from bot.health import Health, brand_fix
from bot.platforms.base import ModeratedPlatform, Platform, PollingPlatform, WindowedPlatform
from bot.platforms.bluesky import BlueskyPlatform
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.graph import GraphClient
from bot.platforms.instagram import InstagramPlatform
from bot.platforms.linkedin import LinkedInPlatform
from bot.platforms.messenger import InstagramDirectPlatform, MessengerPlatform
from bot.platforms.x import XPlatform
from bot.platforms.youtube import YouTubePlatform
from bot.relay.pacing import Pacer
from bot.relay.parking import Notices
from bot.relay.runners.drafts import DraftRunners
from bot.relay.runners.groups import Grouper, GroupRunners
from bot.relay.runners.items import ItemRunners, ModerationRunners, PermalinkRunners
from bot.relay.runners.owner import OwnerRunners
from bot.relay.runners.threads import Threads
from bot.relay.worker import Relay
from bot.services.accounts import Connected, PlatformRegistry
from bot.services.conversations import Conversations
from bot.services.deliveries import Deliveries
from bot.services.first_response import FirstResponse, clocks_by_brand
from bot.services.groups import Groups
from bot.services.home import Home
from bot.services.inbox import RawInbox
from bot.services.ingest import Ingestor
from bot.services.items import Items
from bot.services.owner import Owner
from bot.services.polling import Poller
from bot.services.presend import PreSend
from bot.services.publisher import Publisher
from bot.services.replies import Replies
from bot.services.reporting import Reporting
from bot.services.schedule import Schedules, warm_up
from bot.services.scope import Scope
from bot.services.snippets import Snippets
from bot.services.timezones import TimeZones
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    brands: Brands
    db: Database
    client: WebClient
    relay_client: WebClient  # the relay's: a 429 paces its channel instead of being retried in place
    platforms: PlatformRegistry
    # The Page and Instagram account ids Meta webhooks are accepted for, per adapter name.
    meta_ids: dict[str, frozenset[str]]
    clock: Clock
    relay: Relay  # Slack posts and updates, in order
    permalinks: Relay  # platform look-ups, on their own thread so they never hold up Slack
    ingestor: Ingestor
    inbox: RawInbox  # webhooks' deliveries, stored before the 200 and ingested after it
    pollers: dict[str, Poller]
    conversations: Conversations
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
            self._every(poller.poll, seconds=poller.every_seconds, job_id=f"poll:{name}")
        # The database says what is due; these clocks only look often enough to be on time.
        publisher, owner = self.services.publisher, self.services.owner
        self._every(publisher.publish_due, seconds=1, job_id="publish_due", at_start=False)
        self._every(owner.remind_due, seconds=30, job_id="remind_owner")
        self._every(
            publisher.recover_interrupted,
            seconds=min(60.0, publisher.lease.total_seconds() / 3),
            job_id="recover_interrupted",
        )
        self._every(
            self.health.check_all, seconds=self.settings.health_check_minutes * 60, job_id="check_health"
        )
        # Notes at 75% and at the target, and the time left on messages: minutes matter, not seconds.
        self._every(self.services.first_response.sweep, seconds=5, job_id="first_response")
        # Mondays 09:00 in each brand's zone; the database row makes it once across processes.
        self._every(self.services.reporting.weekly, seconds=60, job_id="weekly_report")
        if self.conversations.windows:
            self._every(self.conversations.warn_closing, seconds=60, job_id="warn_reply_window")
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


def seal_key(settings: Settings) -> bytes:
    """The key modal metadata is sealed with: every process of one deployment derives the same one,
    from a secret no Slack user holds, so a modal opened by one process is accepted by another."""
    secret = settings.slack_signing_secret or settings.slack_app_token or ""
    return hashlib.sha256(b"social-inbox modal seal\0" + secret.encode()).digest()


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


def resolve(settings: Settings, *, environ: Mapping[str, str] | None = None) -> Brands:
    """The brands to run, read once at start; raises `BrandsError` naming every problem."""
    env = secret_environ(environ=os.environ if environ is None else environ, env_file=Path(".env"))
    return resolve_brands(settings, environ=env)


def build_platforms(settings: Settings, brands: Brands, *, clock: Clock) -> list[Connected]:
    """One client per account, so every reply goes out with its own account's credentials."""
    timeout = settings.http_timeout_seconds
    graphs: dict[str, GraphClient] = {}
    app_token = (
        f"{settings.meta_app_id}|{settings.meta_app_secret}"
        if settings.meta_app_id and settings.meta_app_secret
        else None
    )

    def graph(token: str) -> GraphClient:
        # One GraphClient per token: a Page and its Instagram account share one.
        if token not in graphs:
            graphs[token] = GraphClient(
                access_token=token,
                graph_url=settings.meta_graph_url,
                version=settings.meta_graph_version,
                timeout=timeout,
                app_token=app_token,
            )
        return graphs[token]

    connected: list[Connected] = []
    for brand, account in brands.accounts():
        platform: Platform
        if isinstance(account, XAccount):
            platform = XPlatform(
                bearer_token=account.bearer_token,
                api_key=account.api_key,
                api_secret=account.api_secret,
                access_token=account.access_token,
                access_token_secret=account.access_token_secret,
                api_url=settings.twitter_api_url,
                timeout=timeout,
                user_id=account.user_id,
            )
        elif isinstance(account, FacebookAccount):
            platform = FacebookPlatform(page_id=account.page_id, graph=graph(account.token))
            # The Page's direct messages ride on its account: same token, answered through its /messages.
            messenger = MessengerPlatform(page_id=account.page_id, graph=graph(account.token))
            connected.append(Connected(brand=brand, account=account, platform=messenger))
        elif isinstance(account, InstagramAccount):
            platform = InstagramPlatform(account_id=account.account_id, graph=graph(account.token))
            direct = InstagramDirectPlatform(
                page_id=_page_of(brand.accounts, token=account.token),
                account_id=account.account_id,
                graph=graph(account.token),
            )
            connected.append(Connected(brand=brand, account=account, platform=direct))
        elif isinstance(account, YouTubeAccount):
            platform = YouTubePlatform(
                channel_id=account.channel_id,
                client_id=account.client_id,
                client_secret=account.client_secret,
                refresh_token=account.refresh_token,
                api_url=settings.youtube_api_url,
                token_url=settings.youtube_token_url,
                timeout=timeout,
                clock=clock.now,
            )
        elif isinstance(account, BlueskyAccount):
            platform = BlueskyPlatform(
                handle=account.handle,
                app_password=account.app_password,
                service_url=settings.bluesky_service_url,
                timeout=timeout,
            )
        elif isinstance(account, LinkedInAccount):
            platform = LinkedInPlatform(
                organization_id=account.organization_id,
                access_token=account.access_token,
                api_url=settings.linkedin_api_url,
                oauth_url=settings.linkedin_oauth_url,
                client_id=settings.linkedin_client_id,
                client_secret=settings.linkedin_client_secret,
                timeout=timeout,
                clock=clock.now,
            )
        else:
            log.warning("brands.not_wired brand=%s platform=%s", brand.key, account.platform)
            continue
        connected.append(Connected(brand=brand, account=account, platform=platform))
    return connected


def _page_of(accounts: Iterable[BrandAccount], *, token: str) -> str:
    """The Page an Instagram account's messages are sent through: the brand's Page with the same
    token; else `me`, which for a Page token is that Page."""
    pages = [a for a in accounts if isinstance(a, FacebookAccount)]
    same = [a.page_id for a in pages if a.token == token]
    return same[0] if same else "me"


def poll_seconds(settings: Settings, platform: str) -> float:
    """How often each polling platform is asked; YouTube's default follows from its daily quota."""
    return {
        "youtube": settings.youtube_poll_seconds,
        "bluesky": settings.bluesky_poll_seconds,
        "linkedin": settings.linkedin_poll_seconds,
    }.get(platform, settings.twitter_poll_seconds)


def _check_name(connected: Connected, brands: Brands) -> str:
    platform, ident = connected.name, connected.account.external_id
    return f"{platform}:{ident}" if brands.from_file and ident else platform


def _poller_name(connected: Connected) -> str:
    """`x:1500`; plain `x` for the single-brand account that learns its id from X at first poll."""
    ident, platform = connected.account.external_id, connected.name
    return platform if ident is None else f"{platform}:{ident}"


def build_runtime(settings: Settings, *, clock: Clock | None = None, brands: Brands | None = None) -> Runtime:
    clock = clock or SystemClock()
    brands = brands if brands is not None else resolve(settings)
    ignored = ignored_variables(settings) if brands.from_file else []
    if ignored:
        # One line, names only: the values may be secrets.
        log.warning("brands.ignored_variables file=%s variables=%s", brands.source, ",".join(ignored))
    db = Database(url=settings.database_url, connect_timeout=settings.http_timeout_seconds)
    db.migrate()
    db.ping()  # remembers which SQLite file is ours, so /healthz notices if it goes
    client = slack_client(settings)
    platforms = PlatformRegistry(
        db=db, brands=brands, connected=build_platforms(settings, brands, clock=clock)
    )
    pacer = Pacer(db=db, per_second=settings.slack_posts_per_second, burst=settings.slack_burst)
    relay_client = slack_client(settings, retry_rate_limited=False)
    threads = Threads(db=db, client=relay_client, pacer=pacer)
    # The relay renders the clock and the clock wakes the relay: the wake is wired once both exist.
    first_response = FirstResponse(db=db, clock=clock, policy_for=clocks_by_brand(brands))
    people = [p for p in (settings.owner_slack_user, *settings.approver_slack_users) if p]
    notices = Notices(db=db, client=client, people=people)  # reports to `health`, built below
    item_runners = ItemRunners(
        threads=threads, platforms=platforms, clock_label=first_response.label, clock=clock
    )
    relay = Relay(
        db=db,
        clock=clock,
        plan=Grouper(threads=threads, clock=clock).plan,
        parking=notices,
        lease=timedelta(seconds=settings.relay_lease_seconds),
        runners={
            **GroupRunners(threads=threads, clock=clock).runners(),
            **item_runners.runners(),
            **DraftRunners(threads=threads, platforms=platforms).runners(),
            **OwnerRunners(threads=threads, platforms=platforms, clock=clock, brands=brands).runners(),
        },
        preparers=item_runners.preparers(),
        # During a burst of webhooks, a pass waits up to 0.1 s: questions still go out at once after.
        give_way=lambda: inbox.give_way(at_most=0.1),
    )
    permalinks = Relay(
        db=db,
        clock=clock,
        runners={
            **PermalinkRunners(threads=threads, platforms=platforms, wake_slack=relay.wake).runners(),
            **ModerationRunners(threads=threads, platforms=platforms, wake_slack=relay.wake).runners(),
        },
        name="permalinks",
        give_way=lambda: inbox.give_way(at_most=1.0),  # links improve messages; they can wait
    )

    first_response.wake = relay.wake

    def wake() -> None:
        relay.wake()
        permalinks.wake()

    ingestor = Ingestor(db=db, accounts=platforms, on_stored=wake, stamp=first_response.stamp)
    inbox = RawInbox(db=db, ingestor=ingestor, lease=timedelta(seconds=settings.relay_lease_seconds))
    # A send is one platform call and, when its answer is lost, a short search: the lease only
    # has to outlast those, so a crashed send is looked at again soon after.
    lease = timedelta(seconds=4 * settings.http_timeout_seconds + 5)
    publisher = Publisher(db=db, platforms=platforms, clock=clock, wake=relay.wake, lease=lease)
    presend = PreSend(db=db, clock=clock, brands=brands, wake=relay.wake, kick=publisher.kick)
    publisher.pre_send = presend.check
    publisher.pre_look = presend.look_ahead
    publisher.pre_read = presend.read_claimed
    zones = TimeZones(db=db, client=client, clock=clock)
    # One health check per account: named by the platform in the single-brand setup (as
    # before brands), `facebook:1111` with a brands file; notices go to the account's channel.
    checks = {_check_name(c, brands): c for c in platforms}
    health = Health(
        db=db,
        client=client,
        clock=clock,
        platforms={name: c.platform for name, c in checks.items()},
        channels={name: c.channel for name, c in checks.items()},
        fixes={
            name: brand_fix(
                platform=c.account.platform, brand=c.brand.key, account=c.account.external_id or ""
            )
            for name, c in checks.items()
            if brands.from_file
        },
    )
    check_of = {(c.name, c.account.external_id or "?"): name for name, c in checks.items()}
    notices.report = health.report
    check_of = {(c.account.platform, c.account.external_id or "?"): name for name, c in checks.items()}
    services = Services(
        clock=clock,
        items=Items(
            db=db,
            clock=clock,
            wake=wake,
            holds_for_review=frozenset(
                c.platform.name for c in platforms if isinstance(c.platform, ModeratedPlatform)
            ),
        ),
        replies=Replies(
            db=db,
            platforms=platforms,
            clock=clock,
            brands=brands,
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
            brands=brands,
        ),
        reporting=Reporting(db=db, client=client, clock=clock, brands=brands),
        snippets=Snippets(db=db, brands=brands),
        schedules=Schedules(db=db, clock=clock, zones=zones, wake=relay.wake),
        zones=zones,
        groups=Groups(db=db, clock=clock, wake=relay.wake),
        owner=Owner(
            db=db,
            clock=clock,
            brands=brands,
            reminder_every=timedelta(minutes=settings.owner_reminder_minutes),
            max_reminders=settings.owner_reminders,
            wake=relay.wake,
        ),
        scope=Scope(
            db=db,
            brands=brands,
            seal_key=seal_key(settings),
            health=lambda platform, ident: health.status(check_of.get((platform, ident), "")),
        ),
        deliveries=Deliveries(db=db, wake=relay.wake, brands=brands, client=client),
    )
    # One poller per account, each with its own cursor (the key names the account).
    pollers = {
        _poller_name(c): Poller(
            db=db,
            platform=c.platform,
            ingestor=ingestor,
            clock=clock,
            every_seconds=poll_seconds(settings, c.platform.name),
        )
        for c in platforms
        if isinstance(c.platform, PollingPlatform)
    }
    conversations = Conversations(
        db=db,
        clock=clock,
        windows={
            c.platform.name: c.platform.reply_window
            for c in platforms
            if isinstance(c.platform, WindowedPlatform)
        },
        labels={c.platform.name: c.platform.label for c in platforms},
        wake=relay.wake,
    )
    bolt = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "unused-in-socket-mode",
        token_verification_enabled=False,
    )
    handlers.register(bolt, services=services)
    errors.register(bolt)
    return Runtime(
        settings=settings,
        brands=brands,
        db=db,
        client=client,
        relay_client=relay_client,
        platforms=platforms,
        meta_ids={
            name: frozenset(
                c.account.external_id for c in platforms if c.name == name and c.account.external_id
            )
            for name in ("facebook", "instagram", "messenger", "instagram_dm")
        },
        clock=clock,
        relay=relay,
        permalinks=permalinks,
        ingestor=ingestor,
        inbox=inbox,
        pollers=pollers,
        conversations=conversations,
        services=services,
        scheduler=BackgroundScheduler(timezone="UTC"),
        bolt=bolt,
        health=health,
    )
