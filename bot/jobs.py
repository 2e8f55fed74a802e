"""Scheduled jobs: module-level functions that take only ids.

APScheduler calls these; each looks its process's runtime up by key, so the job
store holds plain ids and a job never carries live objects.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

_runtimes: dict[str, Runtime] = {}


def bind(runtime: Runtime) -> None:
    _runtimes[runtime.key] = runtime


def unbind(runtime: Runtime) -> None:
    _runtimes.pop(runtime.key, None)


def _runtime(key: str) -> Runtime | None:
    runtime = _runtimes.get(key)
    if runtime is None:
        log.warning("jobs.no_runtime key=%s", key)
    return runtime


def poll(runtime_key: str, platform: str) -> None:
    runtime = _runtime(runtime_key)
    if runtime is not None and platform in runtime.pollers:
        runtime.pollers[platform].poll()


def publish_due(runtime_key: str) -> None:
    runtime = _runtime(runtime_key)
    if runtime is not None:
        runtime.publisher.publish_due()


def recover_interrupted(runtime_key: str) -> None:
    runtime = _runtime(runtime_key)
    if runtime is not None:
        runtime.publisher.recover_interrupted()


def remind_owner(runtime_key: str) -> None:
    runtime = _runtime(runtime_key)
    if runtime is not None:
        runtime.owner.remind_due()
