"""What Slack listeners may use: the domain services, and nothing that reaches the database directly."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.services.deliveries import Deliveries
from bot.services.first_response import FirstResponse
from bot.services.groups import Groups
from bot.services.home import Home
from bot.services.items import Items
from bot.services.owner import Owner
from bot.services.presend import PreSend
from bot.services.publisher import Publisher
from bot.services.replies import Replies
from bot.services.reporting import Reporting
from bot.services.schedule import Schedules
from bot.services.scope import Scope
from bot.services.snippets import Snippets
from bot.services.timezones import TimeZones


@dataclass(frozen=True)
class Services:
    clock: Clock
    items: Items
    replies: Replies
    publisher: Publisher
    presend: PreSend
    first_response: FirstResponse
    home: Home
    snippets: Snippets
    reporting: Reporting
    schedules: Schedules
    zones: TimeZones
    owner: Owner
    groups: Groups
    scope: Scope  # which brand an item belongs to, and where it may be acted on
    deliveries: Deliveries
