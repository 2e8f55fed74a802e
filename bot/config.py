"""Settings, read once at start from the environment and `.env`, then passed in.

Every variable is listed in `.env.example`. A missing or malformed value stops the
start with one line naming the variable (see `load_settings`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GRAPH_VERSION = re.compile(r"^v\d+\.\d+$")

DEFAULT_OWNER_KEYWORDS = (
    "price,prices,cost,refund,refunds,allergy,allergic,allergen,complaint,partnership,wholesale,discount"
)


# The example values in `.env.example`: a copied but unedited file must not start.
_PLACEHOLDERS = {"xoxb-your-bot-token", "your-signing-secret", "C0123456789"}


class ConfigError(Exception):
    """Configuration problems, each worded as the one line the operator sees."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _split_ids(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if item.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore", frozen=True
    )

    slack_bot_token: str
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_inbox_channel: str | None = None  # required without a brands file (bot.brands says so)
    owner_slack_user: str | None = None
    approver_slack_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    port: int = Field(default=3000, ge=0, le=65535)
    database_url: str = "sqlite:///social-inbox.db"
    log_level: str = "INFO"
    # Every call to a platform or to Slack gives up after this many seconds.
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Unset: brands.yml in the working directory when present (see bot/brands.py).
    brands_file: Path | None = None

    twitter_bearer_token: str | None = None
    twitter_api_key: str | None = None
    twitter_api_secret: str | None = None
    twitter_access_token: str | None = None
    twitter_access_token_secret: str | None = None
    twitter_user_id: str | None = None
    twitter_api_url: str = "https://api.twitter.com"
    twitter_poll_seconds: float = Field(default=60, ge=1)
    twitter_slack_channel: str | None = None

    meta_app_secret: str | None = None
    # With the secret, the app access token Meta documents for debug_token (a token's expiry).
    meta_app_id: str | None = None
    meta_verify_token: str | None = None
    meta_graph_url: str = "https://graph.facebook.com"
    meta_graph_version: str = "v21.0"
    facebook_page_id: str | None = None
    facebook_page_token: str | None = None
    facebook_slack_channel: str | None = None
    instagram_account_id: str | None = None
    instagram_slack_channel: str | None = None

    # More networks (issue 13): each on when its account settings are set.
    youtube_channel_id: str | None = None
    youtube_client_id: str | None = None
    youtube_client_secret: str | None = None
    youtube_refresh_token: str | None = None
    youtube_api_url: str = "https://youtube.googleapis.com"
    youtube_token_url: str = "https://oauth2.googleapis.com/token"
    youtube_poll_seconds: float = Field(default=120, ge=1)
    youtube_slack_channel: str | None = None
    bluesky_handle: str | None = None
    bluesky_app_password: str | None = None
    bluesky_service_url: str = "https://bsky.social"
    bluesky_poll_seconds: float = Field(default=60, ge=1)
    bluesky_slack_channel: str | None = None
    linkedin_organization_id: str | None = None
    linkedin_access_token: str | None = None
    linkedin_client_id: str | None = None
    linkedin_client_secret: str | None = None
    linkedin_api_url: str = "https://api.linkedin.com"
    linkedin_poll_seconds: float = Field(default=300, ge=1)
    # Where LinkedIn's token introspection lives (the health check's expiry look-up).
    linkedin_oauth_url: str = "https://www.linkedin.com"
    linkedin_slack_channel: str | None = None

    # Slack's pace for chat.postMessage per channel (about 1 a second, short bursts allowed).
    slack_posts_per_second: float = Field(default=1.0, gt=0)
    slack_burst: int = Field(default=10, ge=1)

    owner_reminder_minutes: float = Field(default=60, gt=0)
    owner_reminders: int = Field(default=2, ge=0)
    owner_keywords: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: _split_ids(DEFAULT_OWNER_KEYWORDS)
    )
    # How often every platform's credentials (and Slack's) are checked; see bot/health.py.
    health_check_minutes: float = Field(default=10, gt=0)
    # How long a process holds a Slack task it is running; a process that dies mid-task
    # delays that task (and its item's later ones) by at most this long.
    relay_lease_seconds: float = Field(default=60, ge=1, le=3600)

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_inbox_channel", mode="before")
    @classmethod
    def _not_placeholder(cls, value: object) -> object:
        if isinstance(value, str) and value in _PLACEHOLDERS:
            raise ValueError(f"'{value}' is the example from .env.example; set your own value")
        return value

    @field_validator("approver_slack_users", mode="before")
    @classmethod
    def _approvers(cls, value: str | list[str] | None) -> list[str]:
        ids = _split_ids(value)
        for user in ids:
            if not _USER_ID.match(user):
                raise ValueError(f"'{user}' is not a Slack user ID (like U012ABCDEF)")
        return ids

    @field_validator("owner_keywords", mode="before")
    @classmethod
    def _keywords(cls, value: str | list[str] | None) -> list[str]:
        return [word.lower() for word in _split_ids(value)]

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str) -> str:
        if not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value or None

    @field_validator(
        "slack_inbox_channel",
        "twitter_slack_channel",
        "facebook_slack_channel",
        "instagram_slack_channel",
        "youtube_slack_channel",
        "bluesky_slack_channel",
        "linkedin_slack_channel",
    )
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value and not _CHANNEL_ID.match(value):
            raise ValueError(f"'{value}' is not a Slack channel ID (like C012ABCDEF)")
        return value or None

    @field_validator("owner_slack_user")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value and not _USER_ID.match(value):
            raise ValueError(f"'{value}' is not a Slack user ID (like U012ABCDEF)")
        return value or None

    @field_validator("slack_api_url", "twitter_api_url", "meta_graph_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value

    @field_validator("meta_graph_version")
    @classmethod
    def _graph_version(cls, value: str) -> str:
        if not _GRAPH_VERSION.match(value):
            raise ValueError(f"'{value}' is not a Graph API version (like v21.0)")
        return value

    @model_validator(mode="after")
    def _combinations(self) -> Settings:
        problems: list[str] = []
        if not self.slack_app_token and not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN)")
        if self.twitter_bearer_token:
            user_context = {
                "TWITTER_API_KEY": self.twitter_api_key,
                "TWITTER_API_SECRET": self.twitter_api_secret,
                "TWITTER_ACCESS_TOKEN": self.twitter_access_token,
                "TWITTER_ACCESS_TOKEN_SECRET": self.twitter_access_token_secret,
            }
            problems += [
                f"{name} is required to reply on X (TWITTER_BEARER_TOKEN is set)"
                for name, value in user_context.items()
                if not value
            ]
        if bool(self.meta_app_secret) != bool(self.meta_verify_token):
            missing = "META_VERIFY_TOKEN" if self.meta_app_secret else "META_APP_SECRET"
            problems.append(f"{missing} is required when the other Meta webhook variable is set")
        if bool(self.facebook_page_id) != bool(self.facebook_page_token):
            missing = "FACEBOOK_PAGE_TOKEN" if self.facebook_page_id else "FACEBOOK_PAGE_ID"
            problems.append(f"{missing} is required when the other Facebook variable is set")
        if (self.facebook_page_id or self.instagram_account_id) and not self.meta_app_secret:
            problems.append("META_APP_SECRET is required to receive Facebook or Instagram webhooks")
        if self.instagram_account_id and not self.facebook_page_token:
            problems.append("FACEBOOK_PAGE_TOKEN is required for Instagram (it uses the Page token)")
        if problems:
            raise ConfigError(*problems)
        return self

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def x_enabled(self) -> bool:
        return bool(self.twitter_bearer_token)

    @property
    def facebook_enabled(self) -> bool:
        return bool(self.facebook_page_id and self.facebook_page_token and self.meta_app_secret)

    @property
    def instagram_enabled(self) -> bool:
        return bool(self.instagram_account_id and self.facebook_page_token and self.meta_app_secret)

    @property
    def meta_enabled(self) -> bool:
        return self.facebook_enabled or self.instagram_enabled

    @property
    def youtube_enabled(self) -> bool:
        return bool(self.youtube_channel_id and self.youtube_refresh_token)

    @property
    def bluesky_enabled(self) -> bool:
        return bool(self.bluesky_handle and self.bluesky_app_password)

    @property
    def linkedin_enabled(self) -> bool:
        return bool(self.linkedin_organization_id and self.linkedin_access_token)

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        values = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.twitter_bearer_token,
            self.twitter_api_key,
            self.twitter_api_secret,
            self.twitter_access_token,
            self.twitter_access_token_secret,
            self.meta_app_secret,
            self.meta_verify_token,
            self.facebook_page_token,
            self.youtube_client_secret,
            self.youtube_refresh_token,
            self.bluesky_app_password,
            self.linkedin_access_token,
            self.linkedin_client_secret,
        ]
        return [value for value in values if value]


def load_settings(**overrides: object) -> Settings:
    """Read the settings; every problem becomes one line naming its variable, all at once."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(*[_describe(error) for error in exc.errors()]) from None


def _describe(error: Any) -> str:
    location = error.get("loc") or ()
    if location:
        name = str(location[0]).upper()
        if error["type"] == "missing":
            return f"{name} is required (see .env.example)"
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{name} is invalid: {message}"
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    return str(cause) if cause else str(error["msg"])
