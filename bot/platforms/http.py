"""A requests session that points a vendor SDK at a configurable base URL, with a timeout.

tweepy and facebook-sdk hard-code their hosts and leave timeouts unset; both accept a
session, so the adapters hand them this one instead of patching module constants.
"""

from __future__ import annotations

import os
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from bot.platforms.base import PlatformError, TransientError, UnknownOutcome

# Connections kept per host: the publisher sends on up to 40 threads at once (32 scheduled,
# 8 fresh); with requests' default of 10 the rest open and drop a connection per call.
POOL_CONNECTIONS = 48


class RebasedSession(requests.Session):
    def __init__(self, *, origin: str, base: str, timeout: float) -> None:
        super().__init__()
        for scheme in ("http://", "https://"):
            self.mount(scheme, HTTPAdapter(pool_maxsize=POOL_CONNECTIONS))
        self._origin = origin.rstrip("/")
        self._base = base.rstrip("/")
        self._timeout = timeout
        # The environment is read once, here: requests otherwise looks up proxies and ~/.netrc
        # on every call, a quarter of a call's CPU when a busy minute sends a thousand replies.
        # Calls go to `base`, so its proxy (or no_proxy) is known now; they carry their own
        # credentials, so no netrc. A CA bundle named in the environment is honoured as before.
        self.trust_env = False
        self.proxies.update(requests.utils.get_environ_proxies(self._base))
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(self._origin):
            url = self._base + url[len(self._origin) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


def never_arrived(exc: requests.RequestException) -> bool:
    """True when the request surely did not reach the server: no connection was ever made.

    A connect timeout, a refused connection and a failed DNS lookup happen before a byte is
    sent. A read timeout or a reset after connecting may come after the server acted.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", None)
        # urllib3 wraps refused connections and DNS failures (NameResolutionError) in this.
        return isinstance(reason, NewConnectionError)
    return False


def request_failure(exc: requests.RequestException, *, service: str, write: bool) -> PlatformError:
    """Our error for a request that got no answer: retried when it never arrived or only read."""
    if never_arrived(exc):
        return TransientError(f"{service} could not be reached")
    if isinstance(exc, requests.Timeout):
        reason = f"{service} did not answer in time"
    else:
        reason = f"the connection to {service} broke before it answered"
    return UnknownOutcome(reason) if write else TransientError(reason)
