"""Connection health: what `/healthz` shows, and the notices people see in Slack.

Anything may report into it (`report("slack", ok=False, error="channel_not_found")`); the
periodic check reports Slack's `auth.test` and each platform's `check_health()`. A check
that turns bad posts one `:warning:` notice in its platform's channel, and one notice when
it recovers. The last state lives in the database and is flipped with a conditional
UPDATE, so however many processes run, one of them posts each notice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.clock import Clock
from bot.message_builder.format import escape
from bot.platforms.base import CheckedPlatform, Platform, PlatformError
from bot.storage.db import Database
from bot.storage.models import HealthState

log = logging.getLogger(__name__)

# Checks that make /healthz answer 503: without them nothing works at all.
ESSENTIAL = ("database", "slack")
# Slack errors that mean the bot token itself is unusable: the start stops on these.
SLACK_AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission"}
)
EXPIRY_WARNING = timedelta(days=7)

FIX = {
    "x": "Check the TWITTER_* keys and tokens in the X developer portal (regenerate them if revoked), "
    "update them and restart the bot.",
    "facebook": "Generate a new Page access token (Meta Business settings → System users, or the Graph "
    "API Explorer), set FACEBOOK_PAGE_TOKEN and restart the bot.",
    "instagram": "Generate a new Page access token for the Page linked to the Instagram account, set "
    "FACEBOOK_PAGE_TOKEN and restart the bot.",
    "slack": "Reinstall the Slack app or set a valid SLACK_BOT_TOKEN, then restart the bot.",
    "youtube": "Authorise the app again as the channel's owner (scope youtube.force-ssl), set the new "
    "YOUTUBE_REFRESH_TOKEN and restart the bot.",
    "bluesky": "Create a new app password (Settings → Privacy and security → App passwords), set "
    "BLUESKY_APP_PASSWORD and restart the bot.",
    "linkedin": "Authorise the app again as a Page administrator (r_organization_social, "
    "w_organization_social), set the new LINKEDIN_ACCESS_TOKEN and restart the bot.",
}
# With a brands file an account's secrets are the `${VAR}` references in its entry, not the
# single-brand variables above (which are then ignored): the fix names the brand's setting.
BRAND_FIX = {
    "x": (
        "Check the account's keys and tokens in the X developer portal (regenerate them if revoked)",
        "`bearer_token`, `api_key`, `api_secret`, `access_token` and `access_token_secret`",
    ),
    "facebook": (
        "Generate a new Page access token (Meta Business settings → System users, or the Graph API Explorer)",
        "`token`",
    ),
    "instagram": ("Generate a new Page access token for the Page linked to the Instagram account", "`token`"),
    "youtube": (
        "Authorise the app again as the channel's owner (scope youtube.force-ssl)",
        "`refresh_token`",
    ),
    "bluesky": (
        "Create a new app password (Settings → Privacy and security → App passwords)",
        "`app_password`",
    ),
    "linkedin": (
        "Authorise the app again as a Page administrator (r_organization_social, w_organization_social)",
        "`access_token`",
    ),
}
BRAND_FIX_TEXT = (
    "{action}, set it in the environment variable that {fields} of brand `{brand}`'s {label} account "
    "`{account}` names in the brands file, and restart the bot."
)


def brand_fix(*, platform: str, brand: str, account: str) -> str:
    """How to fix one brand's account, naming its entry in the brands file."""
    if platform not in BRAND_FIX:
        return ""
    action, fields = BRAND_FIX[platform]
    label = LABELS.get(platform, platform)
    return BRAND_FIX_TEXT.format(action=action, fields=fields, brand=brand, label=label, account=account)


LABELS = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "bluesky": "Bluesky",
    "linkedin": "LinkedIn",
    "slack": "Slack",
    "database": "Database",
}
NOTICE_FAILED = ":warning: *{label}* is not working: {error}\n{fix}"
NOTICE_RECOVERED = ":white_check_mark: *{label}* works again."
NOTICE_EXPIRES = (
    ":warning: *{label}*: the access token expires on {when:%Y-%m-%d %H:%M} UTC (in {days} days). {fix}"
)


def _label(check: str) -> str:
    """`Facebook`, or `Facebook 1111` for one account of several (brands)."""
    platform, _, account = check.partition(":")
    label = LABELS.get(platform, platform)
    return f"{label} {account}" if account else label


class SlackAuthFailed(Exception):
    """The bot token is refused: nothing can work, so the start stops."""


@dataclass
class _State:
    ok: bool = True
    error: str | None = None
    since: datetime | None = None


@dataclass
class Health:
    db: Database
    client: WebClient
    clock: Clock
    platforms: dict[str, Platform]
    channels: dict[str, str]  # platform -> the channel its notices go to
    # check -> how to fix it, for checks whose fix is not FIX's (a brands file's accounts)
    fixes: dict[str, str] = field(default_factory=dict)
    _states: dict[str, _State] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        checked = [name for name, p in self.platforms.items() if isinstance(p, CheckedPlatform)]
        for check in ("slack", *checked):
            self._states[check] = _State()

    # -- reporting ----------------------------------------------------------------------------

    def report(self, check: str, *, ok: bool, error: str | None = None) -> None:
        """Record the outcome of a check; a change of state is told to people once."""
        now = self.clock.now()
        with self._lock:
            state = self._states.setdefault(check, _State())
            changed = state.ok != ok
            if changed:
                state.since = None if ok else now
            state.ok, state.error = ok, (None if ok else error)
        if not ok:
            log.warning("health.failed check=%s error=%s", check, error)
        elif changed:
            log.info("health.recovered check=%s", check)
        if self._flip(check, ok=ok, error=error, now=now):
            self._notify(check, ok=ok, error=error)

    def snapshot(self, *, database_ok: bool) -> tuple[bool, dict[str, dict[str, Any]]]:
        self.report_database(ok=database_ok)
        with self._lock:
            checks = {
                name: {"ok": s.ok}
                if s.ok
                else {"ok": False, "error": s.error, "since": s.since.isoformat() if s.since else None}
                for name, s in sorted(self._states.items())
            }
        ok = all(checks[name]["ok"] for name in ESSENTIAL if name in checks)
        return ok, checks

    def status(self, check: str) -> str | None:
        """One check's state in words for `/social brands`; None when it is not checked."""
        with self._lock:
            state = self._states.get(check)
            if state is None:
                return None
            if state.ok:
                return "ok"
            since = f" since {state.since:%Y-%m-%d %H:%M} UTC" if state.since else ""
            return f"failing{since}: {escape(state.error or 'unknown error')}"

    def report_database(self, *, ok: bool) -> None:
        # Kept in memory only: with the database down there is nowhere to record it.
        now = self.clock.now()
        with self._lock:
            state = self._states.setdefault("database", _State())
            if state.ok != ok:
                state.ok, state.since = ok, (None if ok else now)
                state.error = None if ok else "the database does not answer (see the log)"

    # -- checking -----------------------------------------------------------------------------

    def check_slack(self) -> None:
        """`auth.test`; raises SlackAuthFailed when the token is refused."""
        try:
            self.client.auth_test()
        except SlackApiError as exc:
            code = str(exc.response.get("error") or "unknown_error")
            self.report("slack", ok=False, error=code)
            if code in SLACK_AUTH_ERRORS:
                raise SlackAuthFailed(code) from None
            return
        except SlackClientError as exc:
            self.report("slack", ok=False, error=f"Slack could not be reached ({type(exc).__name__})")
            return
        except OSError as exc:
            self.report("slack", ok=False, error=f"Slack could not be reached ({type(exc).__name__})")
            return
        self.report("slack", ok=True)

    def check_all(self) -> None:
        """Slack and every platform; run at start and every HEALTH_CHECK_MINUTES."""
        # A refused token is already reported; a running bot keeps its other checks going.
        with contextlib.suppress(SlackAuthFailed):
            self.check_slack()
        for name, platform in self.platforms.items():
            if not isinstance(platform, CheckedPlatform):
                continue
            try:
                connection = platform.check_health()
            except PlatformError as exc:
                self.report(name, ok=False, error=exc.reason)
                continue
            except Exception as exc:  # a check must never stop the others
                log.exception("health.check_crashed check=%s", name)
                self.report(name, ok=False, error=f"the check failed unexpectedly ({type(exc).__name__})")
                continue
            self.report(name, ok=True)
            if connection.expires_at is not None:
                self._warn_expiry(name, connection.expires_at)

    # -- internals ----------------------------------------------------------------------------

    def _flip(self, check: str, *, ok: bool, error: str | None, now: datetime) -> bool:
        """Move the shared state to `ok`; True for the one process whose UPDATE did it."""
        try:
            with self.db.session() as session:
                if session.get(HealthState, check) is None:
                    try:
                        with session.begin_nested():
                            session.add(HealthState(check=check, ok=True))
                    except IntegrityError:
                        pass  # another process created it
                result = session.execute(
                    update(HealthState)
                    .where(HealthState.check == check, HealthState.ok == (not ok))  # type: ignore[arg-type]
                    .values(ok=ok, error=error, since=now)
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError:
            log.exception("health.state_unavailable check=%s", check)
            return False

    def _warn_expiry(self, check: str, expires_at: datetime) -> None:
        left = expires_at - self.clock.now()
        if left > EXPIRY_WARNING:
            return
        try:
            with self.db.session() as session:
                result = session.execute(
                    update(HealthState)
                    .where(
                        HealthState.check == check,  # type: ignore[arg-type]
                        (HealthState.expiry_warned.is_(None)) | (HealthState.expiry_warned != expires_at),  # type: ignore[union-attr]
                    )
                    .values(expiry_warned=expires_at)
                )
                first = bool(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError:
            log.exception("health.state_unavailable check=%s", check)
            return
        log.warning("health.token_expires check=%s at=%s", check, expires_at.isoformat())
        if first:
            self._post(
                check,
                NOTICE_EXPIRES.format(
                    label=_label(check),
                    when=expires_at.astimezone(UTC),
                    days=max(0, left.days),
                    fix=self._fix(check),
                ),
            )

    def _notify(self, check: str, *, ok: bool, error: str | None) -> None:
        label = _label(check)
        if ok:
            text = NOTICE_RECOVERED.format(label=label)
        else:
            # The platform's words come from outside: shown literally, never as a ping or link.
            text = NOTICE_FAILED.format(
                label=label, error=escape(error or "unknown error"), fix=self._fix(check)
            )
        self._post(check, text)

    def _fix(self, check: str) -> str:
        return self.fixes.get(check) or FIX.get(check.partition(":")[0], "")

    def _post(self, check: str, text: str) -> None:
        channel = self.channels.get(check)
        if channel is None or check == "slack":
            return  # a broken Slack cannot carry its own notice; the log and /healthz do
        try:
            self.client.chat_postMessage(channel=channel, text=text, unfurl_links=False)
            log.info("health.notice check=%s", check)
        except (SlackClientError, OSError) as exc:
            log.warning("health.notice_failed check=%s error=%s", check, type(exc).__name__)
