"""The event bus: publish to a topic, subscribe by pattern. One protocol, three backends: in-process (here, the
embedded default), Redis (``engine.bus_redis``) and MQTT (``engine.bus_mqtt``); ``make_bus(url)`` picks one.

Topics (the same on every backend; README.md lists them): ``orders.<tenant>.<account>``, ``executions.<tenant>``,
``positions.<tenant>.<account>``, ``balances.<tenant>.<account>``, ``quotes.<tenant>.<symbol>``,
``bars.<tenant>.<symbol>.<interval>``, ``routes``. A pattern is a topic with ``*`` for one segment or a trailing
``#`` for the rest (MQTT's rules, so the same patterns work on every backend).

Two kinds of topic. Prices (``quotes.``, ``bars.``) are latest-value: a late subscriber wants the last one, not the
history, and a lost one is replaced by the next (Redis keeps the last as a key, MQTT retains it, QoS 0). Everything
else is an event that must not be lost: Redis streams with consumer groups, MQTT QoS 1 with persistent sessions; a
subscriber with a ``group`` name resumes where it stopped after a restart.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import structlog

log = structlog.get_logger("engine.bus")

Handler = Callable[[str, dict[str, Any]], None]

LATEST_VALUE_PREFIXES = ("quotes.", "bars.")


def is_latest_value(topic: str) -> bool:
    return topic.startswith(LATEST_VALUE_PREFIXES)


class Publisher(Protocol):
    def publish(self, topic: str, event: dict[str, Any]) -> None: ...


class Bus(Protocol):
    def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Hand an event over; never blocks. Events of one publisher arrive in publish order."""

    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> Callable[[], None]:
        """Call ``handler`` for every event matching ``pattern``; returns the unsubscribe function. ``group``
        names a durable consumer: events published while it was away are delivered when it comes back."""

    def last(self, topic: str) -> dict[str, Any] | None:
        """The latest event of a latest-value topic, as this process last saw it."""

    async def start(self) -> None: ...
    async def connected(self) -> None:
        """Returns once the broker is reachable (at once for the in-process bus)."""
    async def flush(self) -> None:
        """Wait until everything published so far has reached the broker."""

    async def close(self) -> None: ...


def matches(pattern: str, topic: str) -> bool:
    return _parts_match(pattern.split("."), topic.split("."))


def _parts_match(wanted: Sequence[str], actual: Sequence[str]) -> bool:
    for position, part in enumerate(wanted):
        if part == "#":
            return True
        if position >= len(actual) or (part != "*" and part != actual[position]):
            return False
    return len(wanted) == len(actual)


class InProcessBus:
    """Delivery in the publisher's call, in publish order; a subscriber that raises is logged and skipped.

    Patterns are split once, at subscribe; the subscriptions are an immutable tuple replaced on each change, so a
    handler may subscribe or unsubscribe while an event is being delivered."""

    def __init__(self) -> None:
        self._subscriptions: tuple[tuple[str, Sequence[str], Handler], ...] = ()
        self._last: dict[str, dict[str, Any]] = {}

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        if is_latest_value(topic):
            self._last[topic] = event
        actual = topic.split(".")
        for pattern, wanted, handler in self._subscriptions:
            if _parts_match(wanted, actual):
                try:
                    handler(topic, event)
                except Exception:  # a subscriber's bug must not break the publisher (the OMS, the price feed)
                    log.exception("bus.subscriber_failed", topic=topic, pattern=pattern)

    def subscribe(self, pattern: str, handler: Handler, *, group: str | None = None) -> Callable[[], None]:
        subscription = (pattern, tuple(pattern.split(".")), handler)
        self._subscriptions += (subscription,)

        def unsubscribe() -> None:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not subscription)

        return unsubscribe

    def last(self, topic: str) -> dict[str, Any] | None:
        return self._last.get(topic)

    async def connected(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def flush(self) -> None:
        return None

    async def close(self) -> None:
        self._subscriptions = ()


def make_bus(url: str | None) -> Bus:
    """``None`` or ``memory://``: in-process; ``redis://...``: Redis; ``mqtt://host:port``: MQTT."""
    if url is None or url.startswith("memory://"):
        return InProcessBus()
    if url.startswith(("redis://", "rediss://")):
        from engine.bus_redis import RedisBus
        return RedisBus(url)
    if url.startswith(("mqtt://", "mqtts://")):
        from engine.bus_mqtt import MqttBus
        return MqttBus(url)
    raise ValueError(f"no bus backend for {url!r}: use memory://, redis:// or mqtt://")
