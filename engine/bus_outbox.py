"""What the Redis and MQTT buses share: the ordered outbox a single writer drains (commands in line with messages,
a latest-value topic keeping only its newest entry), the broker link whose state changes are logged once each,
reconnect backoff, and dropping repeats of at-least-once delivery by publisher and sequence number."""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import structlog

from engine.bus import Handler

log = structlog.get_logger("engine.bus")

# A subscribe or unsubscribe taking its place in the outbox; each backend calls it with what it needs.
Command = Callable[..., Awaitable[None]]


@dataclass(slots=True, eq=False)
class Message:
    topic: str
    body: bytes
    seq: int  # 0 for a latest-value topic
    superseded: bool = False


class Outbox:
    """What was handed over and is not yet confirmed by the broker, in order; commands (subscribe, unsubscribe) take
    their place in the same line. A latest-value topic keeps only its newest entry; events are never dropped."""

    def __init__(self, batch: int) -> None:
        self._batch = batch
        self._entries: deque[Message | Command] = deque()
        self._latest: dict[str, Message] = {}
        self._accepted = 0
        self._confirmed = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._filled = asyncio.Event()

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, entry: Message | Command) -> None:
        if isinstance(entry, Message) and not entry.seq:
            if (older := self._latest.get(entry.topic)) is not None:
                older.superseded = True
            self._latest[entry.topic] = entry
        self._entries.append(entry)
        self._accepted += 1
        self._filled.set()

    def has_pending(self, topic: str) -> bool:
        return topic in self._latest

    async def head(self) -> Command | list[Message]:
        """The next command alone, or the messages up to the next command."""
        while not self._entries:
            self._filled.clear()
            await self._filled.wait()
        first = self._entries[0]
        if not isinstance(first, Message):
            return first
        batch: list[Message] = []
        for entry in islice(self._entries, self._batch):
            if not isinstance(entry, Message):
                break
            batch.append(entry)
        return batch

    def confirm(self, count: int) -> None:
        for _ in range(count):
            entry = self._entries.popleft()
            if isinstance(entry, Message) and self._latest.get(entry.topic) is entry:
                del self._latest[entry.topic]
        self._confirmed += count
        waiting = []
        for target, waiter in self._waiters:
            if target <= self._confirmed:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                waiting.append((target, waiter))
        self._waiters = waiting

    async def drained(self) -> None:
        if self._confirmed >= self._accepted:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((self._accepted, waiter))
        await waiter


class Link:
    """The broker connection's state; each change is one log event."""

    def __init__(self, backend: str, address: str) -> None:
        self.backend = backend
        self.address = address
        self.up = False
        self.reported = False
        self.ready = asyncio.Event()   # set while the broker is reachable

    def restored(self) -> None:
        if not self.up:
            self.up = True
            self.ready.set()
            log.info("bus.reconnected" if self.reported else "bus.connected", backend=self.backend, address=self.address)
            self.reported = True

    def lost(self, error: BaseException) -> None:
        if self.up or not self.reported:
            log.warning("bus.disconnected", backend=self.backend, address=self.address, error=repr(error))
            self.up = False
            self.ready.clear()
            self.reported = True


class Backoff:
    """Backoff of one task: 50 ms doubling to 2 s, back to 50 ms after a success."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._attempt = 0

    def ok(self) -> None:
        self._attempt = 0
        self._link.restored()

    async def pause(self, error: BaseException) -> None:
        self._link.lost(error)
        await asyncio.sleep(min(0.05 * 2 ** self._attempt, 2.0))
        self._attempt += 1


class Dedupe:
    """Sequence numbers of one publisher only grow, so anything at or below the last one seen is a repeat."""

    def __init__(self) -> None:
        self._last: dict[Hashable, int] = {}

    def fresh(self, source: Hashable, seq: int) -> bool:
        if seq <= self._last.get(source, 0):
            return False
        self._last[source] = seq
        return True


def deliver(handler: Handler, topic: str, event: dict[str, Any]) -> None:
    try:
        handler(topic, event)
    except Exception:
        log.exception("bus.handler_failed", topic=topic)
