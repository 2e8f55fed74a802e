"""Brands: one bot for many businesses (SPEC "Brands").

A brand is one business: its Slack channel, owner, approvers, business hours and social
accounts. Brands come from `brands.yml` (`BRANDS_FILE`) or, without that file, from the
single-brand environment variables as one brand named `default`, so a setup from before
brands keeps working unchanged.

The file is checked whole before anything starts: every problem is named at once, one line
each (brand, field, what is wrong), so an operator fixes the file in one pass instead of one
restart per mistake. Secrets are only `${ENV_VAR}` references, so the file itself can be
shared and committed without leaking a token.

Pure: no database, no Slack. Build a `Brands` once at start and pass it in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import dotenv_values

from bot.config import DEFAULT_OWNER_KEYWORDS, ConfigError, Settings
from bot.services.business_hours import HoursError, Target, parse_hours, parse_target

DEFAULT_BRAND_KEY = "default"
DEFAULT_BRANDS_FILE = Path("brands.yml")
ALWAYS = "always"
DEFAULT_FIRST_RESPONSE = Target(time=timedelta(hours=1))
UTC = ZoneInfo("UTC")


class BrandsError(ConfigError):
    """Everything wrong with the brands, one line per problem.

    A `ConfigError`, so the start stops with exit code 2 like any other configuration mistake.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__(*problems)


# -- accounts -------------------------------------------------------------------------------
# Secrets are kept out of repr() so a logged brand or account never shows a token.


@dataclass(frozen=True)
class FacebookAccount:
    """A Facebook Page. Its token also serves Messenger conversations with the Page."""

    platform: ClassVar[str] = "facebook"
    page_id: str
    token: str = field(repr=False)
    channel: str | None = None

    @property
    def external_id(self) -> str:
        return self.page_id

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


@dataclass(frozen=True)
class InstagramAccount:
    """An Instagram business account (comments and direct messages), with its Page token."""

    platform: ClassVar[str] = "instagram"
    account_id: str
    token: str = field(repr=False)
    channel: str | None = None

    @property
    def external_id(self) -> str:
        return self.account_id

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


@dataclass(frozen=True)
class XAccount:
    """An X account: read with the bearer token, reply with the user-context keys."""

    platform: ClassVar[str] = "x"
    # None only in the single-brand setup, where the poller asks users/me.
    user_id: str | None
    bearer_token: str = field(repr=False)
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    access_token_secret: str = field(repr=False)
    channel: str | None = None

    @property
    def external_id(self) -> str | None:
        return self.user_id

    def secrets(self) -> tuple[str, ...]:
        return (self.bearer_token, self.api_key, self.api_secret, self.access_token, self.access_token_secret)


@dataclass(frozen=True)
class YouTubeAccount:
    platform: ClassVar[str] = "youtube"
    channel_id: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    channel: str | None = None

    @property
    def external_id(self) -> str:
        return self.channel_id

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret, self.refresh_token)


@dataclass(frozen=True)
class BlueskyAccount:
    platform: ClassVar[str] = "bluesky"
    handle: str  # lower case, without "@"
    app_password: str = field(repr=False)
    channel: str | None = None

    @property
    def external_id(self) -> str:
        return self.handle

    def secrets(self) -> tuple[str, ...]:
        return (self.app_password,)


@dataclass(frozen=True)
class LinkedInAccount:
    platform: ClassVar[str] = "linkedin"
    organization_id: str
    access_token: str = field(repr=False)
    channel: str | None = None

    @property
    def external_id(self) -> str:
        return self.organization_id

    def secrets(self) -> tuple[str, ...]:
        return (self.access_token,)


Account: TypeAlias = (
    FacebookAccount | InstagramAccount | XAccount | YouTubeAccount | BlueskyAccount | LinkedInAccount
)
PLATFORMS: tuple[str, ...] = ("facebook", "instagram", "x", "youtube", "bluesky", "linkedin")


# -- brands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Brand:
    key: str
    name: str
    channel: str
    owner: str | None = None
    # Empty: any member may approve.
    approvers: tuple[str, ...] = ()
    timezone: ZoneInfo = UTC
    # Business hours as written ("always" or "mon-fri 09:00-18:00, sat 10:00-14:00"), checked by
    # `hours_problem`; the first-response clock reads them in `timezone`.
    hours: str = ALWAYS
    # Counted in business time: `1d` is one business day, not 24 hours (see business_hours).
    first_response: Target = DEFAULT_FIRST_RESPONSE
    owner_keywords: tuple[str, ...] = ()
    accounts: tuple[Account, ...] = ()

    def may_approve(self, user: str) -> bool:
        return not self.approvers or user in self.approvers

    def channel_for(self, account: Account) -> str:
        """Where `account`'s items arrive: its own channel, else the brand's."""
        return account.channel or self.channel


@dataclass(frozen=True)
class Brands:
    """Every brand, with the lookups routing and scoping need.

    Built by `load_brands` or `brands_from_settings`, which name conflicts as problems; the
    constructor refuses them too, so no lookup can be ambiguous.
    """

    all: tuple[Brand, ...]
    # The brands file they came from; None for the single-brand setup from the environment.
    source: Path | None = None
    _by_key: dict[str, Brand] = field(init=False, repr=False, compare=False)
    _by_channel: dict[str, Brand] = field(init=False, repr=False, compare=False)
    _by_account: dict[tuple[str, str], tuple[Brand, Account]] = field(init=False, repr=False, compare=False)
    _owner_of: dict[Account, Brand] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, Brand] = {}
        by_channel: dict[str, Brand] = {}
        by_account: dict[tuple[str, str], tuple[Brand, Account]] = {}
        owner_of: dict[Account, Brand] = {}
        for brand in self.all:
            if brand.key in by_key:
                raise ValueError(f"brand {brand.key} is listed twice")
            by_key[brand.key] = brand
            for channel in (brand.channel, *(a.channel for a in brand.accounts if a.channel)):
                if by_channel.setdefault(channel, brand) is not brand:
                    raise ValueError(f"channel {channel} belongs to two brands")
            for account in brand.accounts:
                if account in owner_of:
                    raise ValueError(f"{account.platform} account {account.external_id} is listed twice")
                owner_of[account] = brand
                if account.external_id is not None:
                    ident = (account.platform, account.external_id)
                    if ident in by_account:
                        raise ValueError(f"{account.platform} account {account.external_id} is listed twice")
                    by_account[ident] = (brand, account)
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_channel", by_channel)
        object.__setattr__(self, "_by_account", by_account)
        object.__setattr__(self, "_owner_of", owner_of)

    def __iter__(self) -> Iterator[Brand]:
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    @property
    def from_file(self) -> bool:
        return self.source is not None

    def get(self, key: str) -> Brand | None:
        return self._by_key.get(key)

    def __getitem__(self, key: str) -> Brand:
        return self._by_key[key]

    def for_channel(self, channel: str) -> Brand | None:
        """The brand a Slack channel belongs to (its channel or one of its accounts'), if any.

        None for a DM or a channel of no brand: there `/social inbox` shows every brand.
        """
        return self._by_channel.get(channel)

    def account(self, *, platform: str, external_id: str) -> tuple[Brand, Account] | None:
        """The brand and account behind a platform's own account id (Page id, IG account id, …).

        Messenger and Instagram direct messages ride on the `facebook` and `instagram` accounts.
        """
        return self._by_account.get((platform, external_id))

    def brand_of(self, account: Account) -> Brand:
        return self._owner_of[account]

    def effective_channel(self, account: Account) -> str:
        return self._owner_of[account].channel_for(account)

    def accounts(self, *, platform: str | None = None) -> list[tuple[Brand, Account]]:
        """Every (brand, account), in file order; only one platform's when `platform` is given."""
        return [
            (brand, account)
            for brand in self.all
            for account in brand.accounts
            if platform is None or account.platform == platform
        ]

    def channels(self) -> frozenset[str]:
        return frozenset(self._by_channel)

    def secrets(self) -> list[str]:
        """Every account secret, for the log filter that must never print them."""
        return [secret for _, account in self.accounts() for secret in account.secrets()]


# -- value checks ---------------------------------------------------------------------------

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# Brand channels are public or private channels; a DM (D…) cannot be a brand's inbox.
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_DIGITS = re.compile(r"^[0-9]{1,30}$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_BLUESKY_HANDLE = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")
_DURATION = re.compile(r"^(?:[0-9]+[smhd])+$")
_DURATION_PART = re.compile(r"([0-9]+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_HOURS_EXAMPLE = '"always" or like "mon-fri 09:00-18:00, sat 10:00-14:00"'


def hours_problem(text: str) -> str | None:
    """Why `text` is not a business-hours line, or None when it is one.

    The first-response clock's own parser decides, so the file accepts exactly what the
    clock can count (overnight ranges, full day names, `9:00`).
    """
    if not text.strip():
        return f"is empty; write {_HOURS_EXAMPLE}"
    try:
        parse_hours(text=text)
    except HoursError as exc:
        return str(exc).removeprefix("hours: ")
    return None


def parse_duration(text: str) -> timedelta | None:
    """`90s`, `30m`, `1h`, `1d` or a sum like `1h30m`; None when it is not one or is zero."""
    compact = text.strip().lower()
    if not _DURATION.match(compact):
        return None
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(compact))
    return timedelta(seconds=seconds) if seconds > 0 else None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- the file -------------------------------------------------------------------------------

_BRAND_FIELDS = (
    "key",
    "name",
    "channel",
    "owner",
    "approvers",
    "timezone",
    "hours",
    "first_response",
    "owner_keywords",
    "accounts",
)
_REQUIRED_BRAND_FIELDS = ("key", "name", "channel", "accounts")
# A field's check: the value as read from YAML to (the value to keep, or the problem).
_Check = Callable[[object], tuple[Any, str | None]]


def _id(pattern: re.Pattern[str], expected: str) -> _Check:
    def check(value: object) -> tuple[Any, str | None]:
        # YAML reads an unquoted 1111 as a number; an id is the same either way.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and pattern.match(value.strip()):
            return value.strip(), None
        return None, f"{_show(value)} is not {expected}"

    return check


def _text(value: object) -> tuple[Any, str | None]:
    if isinstance(value, str) and value.strip() and len(value) <= 500:
        return value.strip(), None
    return None, "must be a non-empty text"


def _handle(value: object) -> tuple[Any, str | None]:
    handle = value.strip().removeprefix("@").lower() if isinstance(value, str) else value
    return _id(_BLUESKY_HANDLE, "a Bluesky handle (like acme.bsky.social)")(handle)


_channel_id = _id(_CHANNEL, "a Slack channel ID (like C012ABCDEF or G012ABCDEF)")
_user_id = _id(_USER, "a Slack user ID (like U012ABCDEF)")
# A secret field: only a `${ENV_VAR}` reference, read from the environment.
_SECRET = None

# Per platform: the account class, then each field's check, the account's own id first.
# Every field but `channel` is required.
_ACCOUNTS: dict[str, tuple[type[Any], dict[str, _Check | None]]] = {
    "facebook": (
        FacebookAccount,
        {"page_id": _id(_DIGITS, "a numeric Page ID"), "token": _SECRET},
    ),
    "instagram": (
        InstagramAccount,
        {"account_id": _id(_DIGITS, "a numeric Instagram account ID"), "token": _SECRET},
    ),
    "x": (
        XAccount,
        {
            "user_id": _id(_DIGITS, "a numeric X user ID"),
            "bearer_token": _SECRET,
            "api_key": _SECRET,
            "api_secret": _SECRET,
            "access_token": _SECRET,
            "access_token_secret": _SECRET,
        },
    ),
    "youtube": (
        YouTubeAccount,
        {
            "channel_id": _id(_YOUTUBE_CHANNEL, "a YouTube channel ID (UC followed by 22 characters)"),
            "client_id": _text,
            "client_secret": _SECRET,
            "refresh_token": _SECRET,
        },
    ),
    "bluesky": (BlueskyAccount, {"handle": _handle, "app_password": _SECRET}),
    "linkedin": (
        LinkedInAccount,
        {"organization_id": _id(_DIGITS, "a numeric LinkedIn organization ID"), "access_token": _SECRET},
    ),
}


SECRET_FIELDS = frozenset(
    name for _, checks in _ACCOUNTS.values() for name, check in checks.items() if check is None
)


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a repeated field is a mistake to name."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:str":
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"field {key_node.value!r} appears twice", key_node.start_mark
                )
            seen.add(key_node.value)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    """Walks the parsed file, keeping every problem rather than stopping at the first."""

    def __init__(self, *, source: str, environ: Mapping[str, str]) -> None:
        self.source = source
        self.environ = environ
        self.problems: list[str] = []

    def problem(self, where: str, what: str) -> None:
        self.problems.append(f"{self.source}: {where}: {what}")

    def unknown_fields(self, where: str, data: Mapping[Any, Any], allowed: Sequence[str]) -> None:
        for name in data:
            if name not in allowed:
                self.problem(where, f"{_show(name)} is not a known field ({', '.join(allowed)})")

    def check(self, where: str, data: Mapping[str, Any], name: str, check: _Check) -> Any:
        value, problem = check(data[name])
        if problem:
            self.problem(f"{where}: {name}", problem)
        return value

    def secret(self, where: str, value: object) -> str | None:
        reference = _REFERENCE.match(value) if isinstance(value, str) else None
        if reference is None:
            # Never echo the value: it may be the secret itself.
            self.problem(where, "a literal secret is refused; write it as ${ENV_VAR} and set that variable")
            return None
        variable = reference.group(1)
        if variable not in self.environ:
            self.problem(where, f"${{{variable}}} is not set")
            return None
        secret = self.environ[variable].strip()
        if not secret:
            self.problem(where, f"${{{variable}}} is empty")
            return None
        return secret

    def brand(
        self, where: str, data: Mapping[str, Any], default_owner_keywords: tuple[str, ...]
    ) -> Brand | None:
        self.unknown_fields(where, data, _BRAND_FIELDS)
        before = len(self.problems)
        for required in _REQUIRED_BRAND_FIELDS:
            if data.get(required) is None:
                self.problem(f"{where}: {required}", "is required")
        # A field written empty (`owner:`) counts as not written.
        present = {name: value for name, value in data.items() if value is not None}

        def read(name: str, check: _Check, default: Any = None) -> Any:
            return self.check(where, present, name, check) if name in present else default

        key: str = read("key", _key)
        name: str = read("name", _text)
        channel: str = read("channel", _channel_id)
        owner: str | None = read("owner", _user_id)
        zone: ZoneInfo = read("timezone", _zone, UTC)
        hours: str = read("hours", _hours, ALWAYS)
        first_response: Target = read("first_response", _first_response, DEFAULT_FIRST_RESPONSE)
        approvers: list[str] = []
        if "approvers" in present:
            approvers = self.each(f"{where}: approvers", present["approvers"], _user_id)
        keywords = default_owner_keywords
        if "owner_keywords" in present:
            words = self.each(f"{where}: owner_keywords", present["owner_keywords"], _keyword)
            keywords = tuple(dict.fromkeys(words))
        accounts: list[Account] = []
        if "accounts" in present:
            if isinstance(present["accounts"], list):
                for index, item in enumerate(present["accounts"]):
                    account = self.account(f"{where}: accounts[{index}]", item)
                    if account is not None:
                        accounts.append(account)
            else:
                self.problem(f"{where}: accounts", "must be a list of accounts")
        if len(self.problems) > before:
            return None
        return Brand(
            key=key,
            name=name,
            channel=channel,
            owner=owner,
            approvers=tuple(dict.fromkeys(approvers)),
            timezone=zone,
            hours=hours,
            first_response=first_response,
            owner_keywords=keywords,
            accounts=tuple(accounts),
        )

    def each(self, where: str, values: object, check: _Check) -> list[Any]:
        if not isinstance(values, list):
            self.problem(where, "must be a list")
            return []
        kept = []
        for index, value in enumerate(values):
            good, problem = check(value)
            if problem:
                self.problem(f"{where}[{index}]", problem)
            else:
                kept.append(good)
        return kept

    def account(self, where: str, data: object) -> Account | None:
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping like {platform: facebook, page_id: ..., token: ...}")
            return None
        platform = data.get("platform")
        if platform not in _ACCOUNTS:
            self.problem(f"{where}: platform", f"{_show(platform)} is not one of {', '.join(PLATFORMS)}")
            return None
        where = f"{where} ({platform})"
        cls, checks = _ACCOUNTS[platform]
        self.unknown_fields(where, data, ("platform", *checks, "channel"))
        before = len(self.problems)
        values: dict[str, Any] = {}
        for name, check in checks.items():
            if data.get(name) is None:
                self.problem(f"{where}: {name}", "is required")
            elif check is None:
                values[name] = self.secret(f"{where}: {name}", data[name])
            else:
                values[name] = self.check(where, data, name, check)
        if data.get("channel") is not None:
            values["channel"] = self.check(where, data, "channel", _channel_id)
        if len(self.problems) > before:
            return None
        return cls(**values)


def _key(value: object) -> tuple[Any, str | None]:
    if isinstance(value, str) and _KEY.match(value):
        return value, None
    return None, f"{_show(value)} must be 1 to 40 of a-z, 0-9 and '-', starting with a letter or digit"


def _zone(value: object) -> tuple[Any, str | None]:
    if isinstance(value, str) and value.strip():
        try:
            return ZoneInfo(value.strip()), None
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return None, f"{_show(value)} is not a time zone (like Europe/Berlin or UTC)"


def _hours(value: object) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"must be text: {_HOURS_EXAMPLE}"
    problem = hours_problem(value)
    return (None, problem) if problem else (" ".join(value.lower().split()), None)


def _first_response(value: object) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, f"{_show(value)} is not a duration like 90s, 30m, 1h or 1d"
    try:
        return parse_target(text=value), None
    except HoursError as exc:
        return None, str(exc).removeprefix("first_response: ")


def _keyword(value: object) -> tuple[Any, str | None]:
    if isinstance(value, str) and value.strip():
        return value.strip().lower(), None
    return None, f"{_show(value)} is not a word"


_DEFAULT_KEYWORDS = tuple(DEFAULT_OWNER_KEYWORDS.split(","))


def load_brands(
    *,
    path: Path,
    environ: Mapping[str, str],
    default_owner_keywords: Sequence[str] = _DEFAULT_KEYWORDS,
) -> Brands:
    """Read and check a brands file; raise `BrandsError` naming every problem in it.

    `environ` resolves the `${ENV_VAR}` secret references (see `secret_environ`).
    `default_owner_keywords` serve a brand that lists none (the `OWNER_KEYWORDS` setting).
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise BrandsError([f"{source}: cannot be read: {reason}"]) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise BrandsError([f"{source}: {line}not valid YAML: {reason}"]) from None

    reader = _Reader(source=source, environ=environ)
    if not isinstance(document, dict) or not isinstance(document.get("brands"), list):
        raise BrandsError([f"{source}: must hold a list under 'brands:' (see brands.example.yml)"])
    reader.unknown_fields("top level", document, ("brands",))
    entries: list[Any] = document["brands"]
    if not entries:
        reader.problem("brands", "lists no brand")

    keys = [entry.get("key") if isinstance(entry, dict) else None for entry in entries]

    def label(index: int) -> str:
        key = keys[index]
        if not (isinstance(key, str) and _KEY.match(key)):
            return f"brands[{index}]"
        return f"brand {key}" if keys.count(key) == 1 else f"brand {key} (brands[{index}])"

    brands: list[Brand] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            reader.problem(label(index), "must be a mapping with key, name, channel and accounts")
            continue
        brand = reader.brand(label(index), entry, tuple(w.lower() for w in default_owner_keywords))
        if brand is not None:
            brands.append(brand)
    _conflicts(reader, entries, keys, label)
    if reader.problems:
        raise BrandsError(reader.problems)
    return Brands(all=tuple(brands), source=path)


def _conflicts(reader: _Reader, entries: list[Any], keys: list[Any], label: Callable[[int], str]) -> None:
    """Name what two brands would share: a key, a channel, an account."""
    first_key: dict[str, int] = {}
    channel_owner: dict[str, int] = {}
    account_owner: dict[tuple[str, str], str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        key = keys[index]
        if isinstance(key, str):
            if key in first_key:
                reader.problem(f"{label(index)}: key", f"{key!r} is also brands[{first_key[key]}]")
            first_key.setdefault(key, index)
        channels: list[tuple[str, object]] = [("channel", entry.get("channel"))]
        accounts = entry.get("accounts")
        accounts = accounts if isinstance(accounts, list) else []
        for position, account in enumerate(accounts):
            if not isinstance(account, dict):
                continue
            channels.append((f"accounts[{position}]: channel", account.get("channel")))
            ident = _account_ident(account)
            if ident is None:
                continue
            where = f"{label(index)}: accounts[{position}] ({ident[0]})"
            if ident in account_owner:
                reader.problem(where, f"{ident[0]} account {ident[1]} is also in {account_owner[ident]}")
            account_owner.setdefault(ident, f"{label(index)} accounts[{position}]")
        for where, channel in channels:
            if not isinstance(channel, str):
                continue
            owner = channel_owner.setdefault(channel, index)
            if owner != index:
                reader.problem(
                    f"{label(index)}: {where}",
                    f"{channel} is already the channel of {label(owner)}; "
                    "a channel belongs to one brand so /social knows which items it acts on",
                )


def _account_ident(account: Mapping[str, Any]) -> tuple[str, str] | None:
    platform = account.get("platform")
    if platform not in _ACCOUNTS:
        return None
    _, checks = _ACCOUNTS[platform]
    id_field, check = next(iter(checks.items()))
    if check is None or account.get(id_field) is None:
        return None
    value, problem = check(account[id_field])
    return None if problem else (platform, value)


# -- choosing the source --------------------------------------------------------------------

# The single-brand variables a brands file replaces, by Settings field.
SINGLE_BRAND_VARIABLES = (
    "slack_inbox_channel",
    "owner_slack_user",
    "approver_slack_users",
    "twitter_bearer_token",
    "twitter_api_key",
    "twitter_api_secret",
    "twitter_access_token",
    "twitter_access_token_secret",
    "twitter_user_id",
    "twitter_slack_channel",
    "facebook_page_id",
    "facebook_page_token",
    "facebook_slack_channel",
    "instagram_account_id",
    "instagram_slack_channel",
    "youtube_channel_id",
    "youtube_client_id",
    "youtube_client_secret",
    "youtube_refresh_token",
    "youtube_slack_channel",
    "bluesky_handle",
    "bluesky_app_password",
    "bluesky_slack_channel",
    "linkedin_organization_id",
    "linkedin_access_token",
    "linkedin_slack_channel",
)


def _setting(settings: Settings, name: str) -> Any:
    # The YouTube, Bluesky and LinkedIn fields join Settings with those networks (issue 13);
    # until a field exists it reads as unset, so this module needs no change when they land.
    return getattr(settings, name, None)


def ignored_variables(settings: Settings) -> list[str]:
    """The single-brand variables that are set, for the one warning line when a file is used."""
    return [name.upper() for name in SINGLE_BRAND_VARIABLES if _setting(settings, name)]


def brands_from_settings(settings: Settings) -> Brands:
    """The single-brand setup: today's environment variables as one brand named `default`."""
    channel = settings.slack_inbox_channel
    if not channel:
        raise BrandsError(["SLACK_INBOX_CHANNEL is required (or describe brands in brands.yml)"])
    accounts: list[Account] = []
    if settings.x_enabled:
        accounts.append(
            XAccount(
                user_id=settings.twitter_user_id,
                bearer_token=settings.twitter_bearer_token or "",
                api_key=settings.twitter_api_key or "",
                api_secret=settings.twitter_api_secret or "",
                access_token=settings.twitter_access_token or "",
                access_token_secret=settings.twitter_access_token_secret or "",
                channel=settings.twitter_slack_channel,
            )
        )
    if settings.facebook_enabled:
        accounts.append(
            FacebookAccount(
                page_id=settings.facebook_page_id or "",
                token=settings.facebook_page_token or "",
                channel=settings.facebook_slack_channel,
            )
        )
    if settings.instagram_enabled:
        accounts.append(
            InstagramAccount(
                account_id=settings.instagram_account_id or "",
                token=settings.facebook_page_token or "",
                channel=settings.instagram_slack_channel,
            )
        )
    accounts.extend(_network_accounts(settings))
    brand = Brand(
        key=DEFAULT_BRAND_KEY,
        name="Default",
        channel=channel,
        owner=settings.owner_slack_user,
        approvers=tuple(settings.approver_slack_users),
        owner_keywords=tuple(settings.owner_keywords),
        accounts=tuple(accounts),
    )
    return Brands(all=(brand,))


def _network_accounts(settings: Settings) -> list[Account]:
    accounts: list[Account] = []

    def s(name: str) -> Any:
        return _setting(settings, name)

    if s("youtube_channel_id") and s("youtube_refresh_token"):
        accounts.append(
            YouTubeAccount(
                channel_id=s("youtube_channel_id"),
                client_id=s("youtube_client_id") or "",
                client_secret=s("youtube_client_secret") or "",
                refresh_token=s("youtube_refresh_token"),
                channel=s("youtube_slack_channel"),
            )
        )
    if s("bluesky_handle") and s("bluesky_app_password"):
        accounts.append(
            BlueskyAccount(
                handle=str(s("bluesky_handle")).removeprefix("@").lower(),
                app_password=s("bluesky_app_password"),
                channel=s("bluesky_slack_channel"),
            )
        )
    if s("linkedin_organization_id") and s("linkedin_access_token"):
        accounts.append(
            LinkedInAccount(
                organization_id=s("linkedin_organization_id"),
                access_token=s("linkedin_access_token"),
                channel=s("linkedin_slack_channel"),
            )
        )
    return accounts


def brands_file(settings: Settings) -> Path | None:
    """The brands file to read: `BRANDS_FILE`, else `brands.yml` when present; None for neither.

    A `BRANDS_FILE` that names no file is a mistake, not a quiet fall-back to one brand.
    """
    if settings.brands_file is None:
        return DEFAULT_BRANDS_FILE if DEFAULT_BRANDS_FILE.is_file() else None
    if not settings.brands_file.is_file():
        raise BrandsError([f"BRANDS_FILE is invalid: {settings.brands_file} is not a file"])
    return settings.brands_file


def secret_environ(*, environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    """Where `${ENV_VAR}` references are looked up: the environment over the `.env` file.

    The same precedence as the settings, so a secret put in `.env` works in brands.yml too.
    """
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(environ)
    return merged


def resolve_brands(settings: Settings, *, environ: Mapping[str, str]) -> Brands:
    """The brands to run: from the brands file when there is one, else from the settings."""
    path = brands_file(settings)
    if path is None:
        return brands_from_settings(settings)
    brands = load_brands(path=path, environ=environ, default_owner_keywords=settings.owner_keywords)
    meta = [a for _, a in brands.accounts() if isinstance(a, FacebookAccount | InstagramAccount)]
    if meta and not settings.meta_app_secret:
        raise BrandsError(
            [
                f"META_APP_SECRET is required to receive Facebook or Instagram webhooks ({path} has Meta accounts)"
            ]
        )
    return brands
