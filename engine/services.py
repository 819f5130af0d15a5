"""What the composition root gives a door (the web app, the client FIX doors): the engine's parts it needs, so that
no door reaches through a hub object or knows how the hub is built."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from engine.bus import Bus
from engine.domain.tenancy import Directory
from engine.journal import Reports
from engine.oms import OMS
from engine.ports import Clock


@dataclass(frozen=True, slots=True)
class Services:
    """``ready`` is set once restore and reconciliation are done and cleared on stop: doors take new flow only then.
    ``clock`` is the hub's one clock: the doors' timestamps (TransactTime, signature windows) come from it."""

    oms: OMS
    bus: Bus
    directory: Directory
    ready: asyncio.Event
    clock: Clock
    reports: Reports | None = None   # the durable outbox a FIX door resumes from after a restart
