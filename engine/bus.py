"""The event bus: publish to a topic, subscribe by pattern. In-process here; Redis and MQTT come with issue 5.

Topics: ``orders.<tenant>.<account>``, ``executions.<tenant>``, ``positions.<tenant>.<account>``,
``balances.<tenant>.<account>``, ``quotes.<tenant>.<symbol>``, ``routes``. A pattern is a topic with ``*`` for
one segment or a trailing ``#`` for the rest (MQTT's rules, so the same patterns work on every backend).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Handler = Callable[[str, dict[str, Any]], None]


class Bus(Protocol):
    def publish(self, topic: str, event: dict[str, Any]) -> None: ...
    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]: ...


def matches(pattern: str, topic: str) -> bool:
    wanted, actual = pattern.split("."), topic.split(".")
    for position, part in enumerate(wanted):
        if part == "#":
            return True
        if position >= len(actual) or (part != "*" and part != actual[position]):
            return False
    return len(wanted) == len(actual)


class InProcessBus:
    """Delivery in the publisher's call, in publish order."""

    def __init__(self) -> None:
        self._subscriptions: list[tuple[str, Handler]] = []

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        for pattern, handler in list(self._subscriptions):
            if matches(pattern, topic):
                handler(topic, event)

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        subscription = (pattern, handler)
        self._subscriptions.append(subscription)
        return lambda: self._subscriptions.remove(subscription)
