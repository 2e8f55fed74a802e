"""Brands configuration: brands.yml checked whole at start, or the single-brand variables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.brands import (
    DEFAULT_BRAND_KEY,
    Brand,
    Brands,
    BrandsError,
    FacebookAccount,
    InstagramAccount,
    XAccount,
    brands_file,
    brands_from_settings,
    hours_problem,
    ignored_variables,
    load_brands,
    parse_duration,
    resolve_brands,
    secret_environ,
)
from bot.config import ConfigError, Settings, load_settings
from bot.services.business_hours import Target

ROOT = Path(__file__).resolve().parent.parent
BASE = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s", "slack_inbox_channel": "C0INBOX"}

ENV = {
    "ACME_PAGE_TOKEN": "acme-page-token",
    "ACME_EVENTS_TOKEN": "acme-events-token",
    "ACME_X_BEARER": "acme-bearer",
    "ACME_X_KEY": "acme-key",
    "ACME_X_SECRET": "acme-secret",
    "ACME_X_TOKEN": "acme-token",
    "ACME_X_TOKEN_SECRET": "acme-token-secret",
    "BOLT_PAGE_TOKEN": "bolt-page-token",
    "BOLT_X_BEARER": "bolt-bearer",
    "BOLT_X_KEY": "bolt-key",
    "BOLT_X_SECRET": "bolt-secret",
    "BOLT_X_TOKEN": "bolt-token",
    "BOLT_X_TOKEN_SECRET": "bolt-token-secret",
    "EMPTY": "",
}


def _settings(**values: Any) -> Settings:
    return load_settings(_env_file=None, **{**BASE, **values})


def _x(prefix: str, user_id: str) -> dict[str, Any]:
    return {
        "platform": "x",
        "user_id": user_id,
        "bearer_token": f"${{{prefix}_X_BEARER}}",
        "api_key": f"${{{prefix}_X_KEY}}",
        "api_secret": f"${{{prefix}_X_SECRET}}",
        "access_token": f"${{{prefix}_X_TOKEN}}",
        "access_token_secret": f"${{{prefix}_X_TOKEN_SECRET}}",
    }


def _document() -> dict[str, Any]:
    """Two brands, two Pages, one Instagram account, two X accounts, one channel override."""
    return {
        "brands": [
            {
                "key": "acme",
                "name": "Acme Bakery",
                "channel": "C0ACME",
                "owner": "U0ACMEOWNER",
                "approvers": ["U0BOSS"],
                "timezone": "Europe/Berlin",
                "hours": "Mon-Fri 09:00-18:00, sat 10:00-14:00",
                "first_response": "30m",
                "owner_keywords": ["Price", "refund", "allergy"],
                "accounts": [
                    {"platform": "facebook", "page_id": "1111", "token": "${ACME_PAGE_TOKEN}"},
                    {"platform": "instagram", "account_id": "17841400001", "token": "${ACME_PAGE_TOKEN}"},
                    _x("ACME", "1500"),
                    {
                        "platform": "facebook",
                        "page_id": 2222,
                        "token": "${ACME_EVENTS_TOKEN}",
                        "channel": "C0ACMEEVENTS",
                    },
                ],
            },
            {
                "key": "bolt",
                "name": "Bolt Bikes",
                "channel": "G0BOLT",
                "accounts": [_x("BOLT", "1600")],
            },
        ]
    }


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "brands.yml"
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document), encoding="utf-8")
    return path


def _load(tmp_path: Path, document: object, environ: dict[str, str] | None = None) -> Brands:
    return load_brands(path=_write(tmp_path, document), environ=ENV if environ is None else environ)


def _problems(tmp_path: Path, document: object) -> list[str]:
    with pytest.raises(BrandsError) as error:
        _load(tmp_path, document)
    return error.value.problems


# -- a valid file ---------------------------------------------------------------------------


def test_a_valid_file_gives_every_brand_with_its_accounts(tmp_path: Path) -> None:
    brands = _load(tmp_path, _document())

    assert [brand.key for brand in brands] == ["acme", "bolt"]
    assert brands.from_file and brands.source == tmp_path / "brands.yml"
    acme, bolt = brands["acme"], brands["bolt"]
    assert acme.name == "Acme Bakery" and acme.channel == "C0ACME"
    assert acme.owner == "U0ACMEOWNER" and acme.approvers == ("U0BOSS",)
    assert acme.timezone.key == "Europe/Berlin"
    assert acme.hours == "mon-fri 09:00-18:00, sat 10:00-14:00"
    assert acme.first_response == Target(time=timedelta(minutes=30))
    assert acme.owner_keywords == ("price", "refund", "allergy")
    assert acme.accounts == (
        FacebookAccount(page_id="1111", token="acme-page-token"),
        InstagramAccount(account_id="17841400001", token="acme-page-token"),
        XAccount(
            user_id="1500",
            bearer_token="acme-bearer",
            api_key="acme-key",
            api_secret="acme-secret",
            access_token="acme-token",
            access_token_secret="acme-token-secret",
        ),
        FacebookAccount(page_id="2222", token="acme-events-token", channel="C0ACMEEVENTS"),
    )
    # What a brand leaves out takes the defaults.
    assert bolt.owner is None and bolt.approvers == ()
    assert bolt.timezone.key == "UTC" and bolt.hours == "always"
    assert bolt.first_response == Target(time=timedelta(hours=1))
    assert "allergy" in bolt.owner_keywords and "wholesale" in bolt.owner_keywords


def test_lookups_route_accounts_and_channels_to_their_brand(tmp_path: Path) -> None:
    brands = _load(tmp_path, _document())
    acme, bolt = brands["acme"], brands["bolt"]

    assert brands.get("acme") is acme and brands.get("nope") is None
    assert brands.for_channel("C0ACME") is acme
    assert brands.for_channel("C0ACMEEVENTS") is acme  # an account's own channel scopes to its brand
    assert brands.for_channel("G0BOLT") is bolt
    assert brands.for_channel("D0DIRECT") is None
    assert brands.channels() == {"C0ACME", "C0ACMEEVENTS", "G0BOLT"}

    found = brands.account(platform="facebook", external_id="2222")
    assert found is not None
    brand, events_page = found
    assert brand is acme and brands.effective_channel(events_page) == "C0ACMEEVENTS"
    found = brands.account(platform="facebook", external_id="1111")
    assert found is not None and brands.effective_channel(found[1]) == "C0ACME"
    found = brands.account(platform="x", external_id="1600")
    assert found is not None and found[0] is bolt and brands.brand_of(found[1]) is bolt
    # An id belongs to one platform: the Page id is no Instagram account.
    assert brands.account(platform="instagram", external_id="1111") is None
    assert brands.account(platform="x", external_id="9999") is None

    assert [(b.key, a.external_id) for b, a in brands.accounts(platform="x")] == [
        ("acme", "1500"),
        ("bolt", "1600"),
    ]
    assert len(brands.accounts()) == 5


def test_approvers_are_per_brand(tmp_path: Path) -> None:
    brands = _load(tmp_path, _document())
    assert brands["acme"].may_approve("U0BOSS")
    assert not brands["acme"].may_approve("U0SOMEONE")
    assert brands["bolt"].may_approve("U0SOMEONE")  # no approvers listed: any member


def test_secrets_stay_out_of_repr_and_are_listed_for_the_log_filter(tmp_path: Path) -> None:
    brands = _load(tmp_path, _document())
    shown = repr(brands) + repr(list(brands)) + str(brands.accounts())
    for secret in ("acme-page-token", "acme-bearer", "acme-token-secret", "bolt-key"):
        assert secret not in shown
        assert secret in brands.secrets()


# -- every kind of mistake ------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _acme(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["brands"][0]  # type: ignore[no-any-return]


def _bolt(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["brands"][1]  # type: ignore[no-any-return]


CASES: list[tuple[str, Edit, str]] = [
    (
        "unknown brand field",
        lambda d: _acme(d).update(colour="red"),
        "brand acme: 'colour' is not a known field",
    ),
    (
        "unknown account field",
        lambda d: _acme(d)["accounts"][0].update(channel_id="UC1"),
        "brand acme: accounts[0] (facebook): 'channel_id' is not a known field",
    ),
    ("missing name", lambda d: _acme(d).pop("name"), "brand acme: name: is required"),
    ("missing channel", lambda d: _bolt(d).pop("channel"), "brand bolt: channel: is required"),
    ("missing accounts", lambda d: _bolt(d).pop("accounts"), "brand bolt: accounts: is required"),
    ("missing key", lambda d: _bolt(d).pop("key"), "brands[1]: key: is required"),
    (
        "missing account id",
        lambda d: _acme(d)["accounts"][0].pop("page_id"),
        "brand acme: accounts[0] (facebook): page_id: is required",
    ),
    (
        "missing secret",
        lambda d: _acme(d)["accounts"][2].pop("api_secret"),
        "brand acme: accounts[2] (x): api_secret: is required",
    ),
    ("bad key", lambda d: _bolt(d).update(key="Bolt Bikes"), "brands[1]: key: 'Bolt Bikes' must be 1 to 40"),
    (
        "duplicate key",
        lambda d: _bolt(d).update(key="acme"),
        "brand acme (brands[1]): key: 'acme' is also brands[0]",
    ),
    (
        "two brands share a channel",
        lambda d: _bolt(d).update(channel="C0ACME"),
        "brand bolt: channel: C0ACME is already the channel of brand acme",
    ),
    (
        "an account's channel is another brand's",
        lambda d: _bolt(d)["accounts"][0].update(channel="C0ACMEEVENTS"),
        "brand bolt: accounts[0]: channel: C0ACMEEVENTS is already the channel of brand acme",
    ),
    (
        "the same Page in two brands",
        lambda d: _bolt(d)["accounts"].append(
            {"platform": "facebook", "page_id": "1111", "token": "${BOLT_PAGE_TOKEN}"}
        ),
        "brand bolt: accounts[1] (facebook): facebook account 1111 is also in brand acme accounts[0]",
    ),
    (
        "the same X account in two brands",
        lambda d: _bolt(d)["accounts"][0].update(user_id=1500),
        "brand bolt: accounts[0] (x): x account 1500 is also in brand acme accounts[2]",
    ),
    (
        "channel name instead of id",
        lambda d: _acme(d).update(channel="#general"),
        "brand acme: channel: '#general' is not a Slack channel ID",
    ),
    (
        "a DM is no brand channel",
        lambda d: _acme(d).update(channel="D0DIRECT"),
        "brand acme: channel: 'D0DIRECT' is not a Slack channel ID",
    ),
    (
        "account channel not an id",
        lambda d: _acme(d)["accounts"][3].update(channel="events"),
        "brand acme: accounts[3] (facebook): channel: 'events' is not a Slack channel ID",
    ),
    (
        "owner not a user id",
        lambda d: _acme(d).update(owner="@anna"),
        "brand acme: owner: '@anna' is not a Slack user ID",
    ),
    (
        "approver not a user id",
        lambda d: _acme(d).update(approvers=["U0BOSS", "C0ACME"]),
        "brand acme: approvers[1]: 'C0ACME' is not a Slack user ID",
    ),
    (
        "approvers not a list",
        lambda d: _acme(d).update(approvers="U0BOSS,U0ANNA"),
        "brand acme: approvers: must be a list",
    ),
    (
        "unknown platform",
        lambda d: _acme(d)["accounts"].append({"platform": "tiktok", "id": "1"}),
        "brand acme: accounts[4]: platform: 'tiktok' is not one of facebook, instagram, x, youtube",
    ),
    (
        "bad timezone",
        lambda d: _acme(d).update(timezone="Mars/Olympus"),
        "brand acme: timezone: 'Mars/Olympus' is not a time zone",
    ),
    (
        "bad hours",
        lambda d: _acme(d).update(hours="9 to 5"),
        "brand acme: hours: '9 to 5': '9' is not a day",
    ),
    (
        "hours that open and close at once",
        lambda d: _acme(d).update(hours="mon-fri 09:00-09:00"),
        "brand acme: hours: 'mon-fri 09:00-09:00': '09:00-09:00' opens and closes at the same time",
    ),
    (
        "hours at a time that does not exist",
        lambda d: _acme(d).update(hours="sat 10:00-25:00"),
        "brand acme: hours: 'sat 10:00-25:00': '25:00' is not a time of day",
    ),
    (
        "bad first_response",
        lambda d: _acme(d).update(first_response="soon"),
        "brand acme: first_response: 'soon' is not a duration; write a whole number and a unit",
    ),
    (
        "zero first_response",
        lambda d: _acme(d).update(first_response="0m"),
        "brand acme: first_response: '0m' is zero",
    ),
    (
        "literal secret",
        lambda d: _acme(d)["accounts"][0].update(token="EAAGliteralPageToken"),
        "brand acme: accounts[0] (facebook): token: a literal secret is refused; write it as ${ENV_VAR}",
    ),
    (
        "a secret inside other text",
        lambda d: _acme(d)["accounts"][2].update(bearer_token="Bearer ${ACME_X_BEARER}"),
        "brand acme: accounts[2] (x): bearer_token: a literal secret is refused",
    ),
    (
        "reference to an unset variable",
        lambda d: _bolt(d)["accounts"][0].update(api_key="${BOLT_X_KEY_TYPO}"),
        "brand bolt: accounts[0] (x): api_key: ${BOLT_X_KEY_TYPO} is not set",
    ),
    (
        "reference to an empty variable",
        lambda d: _bolt(d)["accounts"][0].update(access_token="${EMPTY}"),
        "brand bolt: accounts[0] (x): access_token: ${EMPTY} is empty",
    ),
    (
        "page id not a number",
        lambda d: _acme(d)["accounts"][0].update(page_id="acme-bakery"),
        "brand acme: accounts[0] (facebook): page_id: 'acme-bakery' is not a numeric Page ID",
    ),
    (
        "accounts not a list",
        lambda d: _bolt(d).update(accounts={"platform": "x"}),
        "brand bolt: accounts: must be a list of accounts",
    ),
    (
        "account not a mapping",
        lambda d: _bolt(d)["accounts"].append("facebook 1111"),
        "brand bolt: accounts[1]: must be a mapping",
    ),
    (
        "owner keywords not a list",
        lambda d: _acme(d).update(owner_keywords="price, refund"),
        "brand acme: owner_keywords: must be a list",
    ),
    (
        "unknown top-level field",
        lambda d: d.update(brand=[]),
        "top level: 'brand' is not a known field",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_mistake_is_named_with_its_brand_and_field(tmp_path: Path, edit: Edit, expected: str) -> None:
    document = _document()
    edit(document)
    problems = _problems(tmp_path, document)
    assert problems == [problems[0]], problems  # one mistake, one line
    assert problems[0].startswith(f"{tmp_path / 'brands.yml'}: ")
    assert expected in problems[0]


def test_a_literal_secret_is_never_repeated_in_the_error(tmp_path: Path) -> None:
    document = _document()
    _acme(document)["accounts"][2]["api_secret"] = "hunter2-literal-x-secret"
    problems = _problems(tmp_path, document)
    assert "hunter2" not in "\n".join(problems)


def test_every_problem_in_the_file_is_named_at_once(tmp_path: Path) -> None:
    document = _document()
    _acme(document).update(timezone="Berlin", first_response="an hour", colour="red")
    _acme(document)["accounts"][0]["token"] = "EAAGliteral"
    _bolt(document).update(channel="C0ACME", owner="anna")
    _bolt(document)["accounts"][0]["bearer_token"] = "${NOT_SET_ANYWHERE}"
    _bolt(document)["accounts"].append({"platform": "myspace"})
    document["brands"].append({"key": "acme", "name": "Acme again", "channel": "C0OTHER", "accounts": []})

    problems = _problems(tmp_path, document)

    expected = [
        "brand acme (brands[0]): 'colour' is not a known field",
        "brand acme (brands[0]): timezone: 'Berlin'",
        "brand acme (brands[0]): first_response: 'an hour'",
        "brand acme (brands[0]): accounts[0] (facebook): token: a literal secret is refused",
        "brand bolt: owner: 'anna'",
        "brand bolt: accounts[0] (x): bearer_token: ${NOT_SET_ANYWHERE} is not set",
        "brand bolt: accounts[1]: platform: 'myspace'",
        "brand acme (brands[2]): key: 'acme' is also brands[0]",
        "brand bolt: channel: C0ACME is already the channel of brand acme (brands[0])",
    ]
    assert len(problems) == len(expected), problems
    for line in expected:
        assert any(line in problem for problem in problems), (line, problems)
    error = BrandsError(problems)
    assert isinstance(error, ConfigError)  # so the start stops with exit code 2
    assert str(error).splitlines() == problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brands:\n  - key: acme\n    name: [unclosed\n", "line 4: not valid YAML"),
        ("brands:\n  - key: acme\n    key: bolt\n", "line 3: not valid YAML: field 'key' appears twice"),
        ("- key: acme\n", "must hold a list under 'brands:'"),
        ("", "must hold a list under 'brands:'"),
        ("brands: []\n", "brands: lists no brand"),
        ("brands:\n  - acme\n", "brands[0]: must be a mapping with key, name, channel and accounts"),
    ],
)
def test_a_file_that_is_not_a_brands_list_says_so(tmp_path: Path, text: str, expected: str) -> None:
    problems = _problems(tmp_path, text)
    assert len(problems) == 1 and expected in problems[0], problems


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "brands.yml"
    path.write_bytes(b"brands:\n  - key: caf\xe9\n")
    with pytest.raises(BrandsError) as error:
        load_brands(path=path, environ=ENV)
    assert error.value.problems == [f"{path}: cannot be read: not UTF-8 text"]


def test_the_example_file_is_valid(tmp_path: Path) -> None:
    text = (ROOT / "brands.example.yml").read_text(encoding="utf-8")
    environ = {name: "x" for name in _references(text)}
    brands = load_brands(path=ROOT / "brands.example.yml", environ=environ)
    assert [b.key for b in brands] == ["acme", "bolt"]
    assert len(brands.accounts()) == 5


def _references(text: str) -> set[str]:
    import re

    return set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))


def test_other_networks_take_their_accounts(tmp_path: Path) -> None:
    document = _document()
    _bolt(document)["accounts"] += [
        {
            "platform": "youtube",
            "channel_id": "UC" + "a" * 22,
            "client_id": "123.apps.googleusercontent.com",
            "client_secret": "${BOLT_X_SECRET}",
            "refresh_token": "${BOLT_X_TOKEN}",
        },
        {"platform": "bluesky", "handle": "@Bolt.bsky.social", "app_password": "${BOLT_X_KEY}"},
        {
            "platform": "linkedin",
            "organization_id": "42",
            "access_token": "${BOLT_X_TOKEN}",
            "channel": "C0LI",
        },
    ]
    brands = _load(tmp_path, document)
    bluesky = brands.account(platform="bluesky", external_id="bolt.bsky.social")
    assert bluesky is not None and bluesky[0].key == "bolt"
    linkedin = brands.account(platform="linkedin", external_id="42")
    assert linkedin is not None and brands.effective_channel(linkedin[1]) == "C0LI"
    assert brands.account(platform="youtube", external_id="UC" + "a" * 22) is not None

    _bolt(document)["accounts"][1]["client_secret"] = "GOCSPX-literal"
    _bolt(document)["accounts"][3]["organization_id"] = "urn:li:organization:42"
    problems = _problems(tmp_path, document)
    assert len(problems) == 2
    assert "accounts[1] (youtube): client_secret: a literal secret is refused" in problems[0]
    assert "accounts[3] (linkedin): organization_id: 'urn:li:organization:42'" in problems[1]


# -- without a file: the single-brand variables ---------------------------------------------


def test_without_a_file_the_variables_make_the_brand_default() -> None:
    settings = _settings(
        owner_slack_user="U0OWNER",
        approver_slack_users="U0BOSS,U0ANNA",
        owner_keywords="Price,Gluten",
        twitter_bearer_token="bearer",
        twitter_api_key="key",
        twitter_api_secret="secret",
        twitter_access_token="token",
        twitter_access_token_secret="token-secret",
        twitter_user_id="1500",
        twitter_slack_channel="C0XONLY",
        meta_app_secret="app-secret",
        meta_verify_token="verify",
        facebook_page_id="1111",
        facebook_page_token="page-token",
        instagram_account_id="17841400001",
    )
    brands = brands_from_settings(settings)

    assert not brands.from_file and len(brands) == 1
    brand = brands[DEFAULT_BRAND_KEY]
    assert brand.channel == "C0INBOX" and brand.owner == "U0OWNER"
    assert brand.approvers == ("U0BOSS", "U0ANNA")
    assert brand.owner_keywords == ("price", "gluten")
    assert brand.timezone.key == "UTC" and brand.hours == "always"
    assert brand.first_response == Target(time=timedelta(hours=1))

    x = brands.account(platform="x", external_id="1500")
    assert x is not None and brands.effective_channel(x[1]) == "C0XONLY"
    assert x[1] == XAccount(
        user_id="1500",
        bearer_token="bearer",
        api_key="key",
        api_secret="secret",
        access_token="token",
        access_token_secret="token-secret",
        channel="C0XONLY",
    )
    page = brands.account(platform="facebook", external_id="1111")
    assert page is not None and page[1] == FacebookAccount(page_id="1111", token="page-token")
    instagram = brands.account(platform="instagram", external_id="17841400001")
    # Instagram answers with the Page token, as before brands.
    assert instagram is not None and instagram[1] == InstagramAccount(
        account_id="17841400001", token="page-token"
    )
    assert brands.effective_channel(instagram[1]) == "C0INBOX"
    assert brands.for_channel("C0INBOX") is brand and brands.for_channel("C0XONLY") is brand


def test_without_accounts_the_default_brand_has_none() -> None:
    brands = brands_from_settings(_settings())
    assert [b.key for b in brands] == ["default"] and brands.accounts() == []
    assert brands["default"].may_approve("U0ANYONE")


def test_x_without_a_user_id_is_still_an_account() -> None:
    settings = _settings(
        twitter_bearer_token="b",
        twitter_api_key="k",
        twitter_api_secret="s",
        twitter_access_token="t",
        twitter_access_token_secret="ts",
    )
    brands = brands_from_settings(settings)
    [(brand, account)] = brands.accounts(platform="x")
    # Its id comes from users/me at start, so it cannot be looked up by id yet.
    assert isinstance(account, XAccount) and account.external_id is None
    assert brands.effective_channel(account) == "C0INBOX" and brand.key == "default"


def test_ignored_variables_names_the_single_brand_variables_that_are_set() -> None:
    settings = _settings(
        owner_slack_user="U0OWNER",
        facebook_page_id="1111",
        facebook_page_token="t",
        meta_app_secret="a",
        meta_verify_token="v",
        twitter_poll_seconds=30,
        owner_keywords="price",
    )
    # Global settings (Meta's webhook secret, poll pace, default keywords) are not ignored.
    assert ignored_variables(settings) == [
        "SLACK_INBOX_CHANNEL",
        "OWNER_SLACK_USER",
        "FACEBOOK_PAGE_ID",
        "FACEBOOK_PAGE_TOKEN",
    ]


# -- choosing between the file and the variables --------------------------------------------


def test_brands_yml_in_the_working_directory_is_used_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = _settings(owner_keywords="gluten", meta_app_secret="a", meta_verify_token="v")
    assert brands_file(settings) is None
    assert [b.key for b in resolve_brands(settings, environ=ENV)] == ["default"]

    _write(tmp_path, _document())
    assert brands_file(settings) == Path("brands.yml")
    brands = resolve_brands(settings, environ=ENV)
    assert [b.key for b in brands] == ["acme", "bolt"]
    assert brands["bolt"].owner_keywords == ("gluten",)  # OWNER_KEYWORDS is the default for a brand


def test_brands_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "agency" / "clients.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(_document()), encoding="utf-8")
    settings = _settings(brands_file=str(path), meta_app_secret="a", meta_verify_token="v")
    assert brands_file(settings) == path
    assert resolve_brands(settings, environ=ENV).source == path


def test_a_brands_file_that_is_not_there_stops_the_start(tmp_path: Path) -> None:
    settings = _settings(brands_file=str(tmp_path / "typo.yml"))
    with pytest.raises(BrandsError) as error:
        resolve_brands(settings, environ=ENV)
    assert error.value.problems == [f"BRANDS_FILE is invalid: {tmp_path / 'typo.yml'} is not a file"]


def test_meta_accounts_in_the_file_need_the_meta_app_secret(tmp_path: Path) -> None:
    path = _write(tmp_path, _document())
    with pytest.raises(BrandsError) as error:
        resolve_brands(_settings(brands_file=str(path)), environ=ENV)
    assert error.value.problems[0].startswith("META_APP_SECRET is required")

    only_x = {"brands": [_bolt(_document())]}
    path = _write(tmp_path, only_x)
    assert len(resolve_brands(_settings(brands_file=str(path)), environ=ENV)) == 1


def test_secrets_may_live_in_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ACME_PAGE_TOKEN=from-dotenv\nBOLT_X_KEY=from-dotenv\nBARE\n", encoding="utf-8")
    environ = secret_environ(environ={"BOLT_X_KEY": "from-environment"}, env_file=env_file)
    # The environment wins over .env, as it does for the settings.
    assert environ == {"ACME_PAGE_TOKEN": "from-dotenv", "BOLT_X_KEY": "from-environment"}
    assert secret_environ(environ={"A": "1"}, env_file=tmp_path / "missing") == {"A": "1"}
    assert secret_environ(environ={"A": "1"}, env_file=None) == {"A": "1"}


def test_brands_refuse_an_ambiguous_collection() -> None:
    def brand(key: str, channel: str, *accounts: FacebookAccount) -> Brand:
        return Brand(key=key, name=key, channel=channel, accounts=accounts)

    page = FacebookAccount(page_id="1", token="t")
    with pytest.raises(ValueError, match="listed twice"):
        Brands(all=(brand("a", "C1"), brand("a", "C2")))
    with pytest.raises(ValueError, match="two brands"):
        Brands(all=(brand("a", "C1"), brand("b", "C1")))
    with pytest.raises(ValueError, match="listed twice"):
        Brands(all=(brand("a", "C1", page), brand("b", "C2", FacebookAccount(page_id="1", token="u"))))


# -- value syntax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), (" 2H ", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "1", "h", "1 h", "-1h", "0s", "1w", "1.5h", "soon"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "always",
        "Always",
        "mon-fri 09:00-18:00, sat 10:00-14:00",
        "mon 09:00-12:00 13:00-17:00",
        "sun 00:00-24:00",
        "mon-sun 08:00-20:00,sat 10:00-11:00",
        # What the first-response clock reads, the file accepts:
        "mon-fri 18:00-09:00",  # overnight, into the next morning
        "monday 09:00-18:00",
        "mon-fri 9:00-18:00",
    ],
)
def test_business_hours(text: str) -> None:
    assert hours_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "never",
        "mon-fri",
        "09:00-18:00",
        "mon 09:60-10:00",
        ",",
    ],
)
def test_not_business_hours(text: str) -> None:
    assert hours_problem(text) is not None


def test_a_day_of_first_response_is_one_business_day(tmp_path: Path) -> None:
    """`1d` is kept as business days for the clock, not turned into 24 hours."""
    document = _document()
    _acme(document).update(first_response="1d")
    acme = _load(tmp_path, document)["acme"]
    assert acme.first_response == Target(days=1)
