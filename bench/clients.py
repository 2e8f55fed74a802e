"""The load generator: Meta's side of the webhooks, run in its own process.

Kept free of the bot's imports so the spawned process starts fast, and run outside the bot's
process so the client threads do not compete with the bot for its GIL. ``time.perf_counter`` is
``CLOCK_MONOTONIC`` on Linux, so the times it records compare with the parent's.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from tests.fakes.base import forbid_network


@dataclass(frozen=True)
class Delivery:
    comment_id: str
    body: bytes
    headers: dict[str, str]
    method: str = "POST"
    path: str = "/webhooks/meta"


@dataclass(frozen=True)
class Sent:
    comment_id: str
    status: int  # 0 when the request itself failed
    started: float  # perf_counter just before the request
    answered: float  # perf_counter once the response was read

    @property
    def latency(self) -> float:
        return self.answered - self.started


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: loopback only
    return session


def _send(session: requests.Session, base_url: str, delivery: Delivery) -> Sent:
    url = base_url + delivery.path
    started = time.perf_counter()
    try:
        response = session.request(
            delivery.method, url, data=delivery.body or None, headers=delivery.headers, timeout=30
        )
        status = response.status_code
    except requests.RequestException:
        status = 0
    return Sent(delivery.comment_id, status, started, time.perf_counter())


def _client(base_url: str, deliveries: list[Delivery], barrier: threading.Barrier) -> list[Sent]:
    with _session() as session:
        try:
            session.get(base_url + "/healthz", timeout=10)  # open the keep-alive connection before the clock
            barrier.wait(timeout=30)
        except BaseException:
            barrier.abort()
            raise
        return [_send(session, base_url, d) for d in deliveries]


def burst(base_url: str, deliveries: list[Delivery], clients: int) -> tuple[list[Sent], float]:
    """All clients released together by a barrier; returns the results and the release time."""
    clients = max(1, min(clients, len(deliveries)))
    shares = [deliveries[i::clients] for i in range(clients)]
    barrier = threading.Barrier(clients + 1)
    with forbid_network(), ThreadPoolExecutor(max_workers=clients, thread_name_prefix="meta") as pool:
        futures = [pool.submit(_client, base_url, share, barrier) for share in shares]
        barrier.wait(timeout=30)
        released = time.perf_counter()
        results = [sent for future in futures for sent in future.result(timeout=120)]
    return results, released


def paced(base_url: str, deliveries: list[Delivery], interval: float) -> list[Sent]:
    """One client sending a delivery every ``interval`` seconds."""
    results = []
    with forbid_network(), _session() as session:
        session.get(base_url + "/healthz", timeout=10)
        start = time.perf_counter()
        for i, delivery in enumerate(deliveries):
            pause = start + i * interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            results.append(_send(session, base_url, delivery))
    return results
