"""The answers to status requests an adapter is waiting for, by order: whoever asks (``order_status``, or the
reconciliation after a logon) gets a future that the venue's answer completes, or VenueDown when the session
goes first. Shared by the FIX adapters, whose answers come back on the session the questions went out on."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from engine.ports import VenueDown, VenueReport

Waiter = asyncio.Future[VenueReport | None]


class StatusAnswers:
    def __init__(self) -> None:
        self._waiting: dict[str, list[Waiter]] = {}

    def expect(self, order_id: str) -> Waiter:
        waiter: Waiter = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(order_id, []).append(waiter)
        return waiter

    def forget(self, order_id: str, waiter: Waiter) -> None:
        waiters = self._waiting.get(order_id, [])
        if waiter in waiters:
            waiters.remove(waiter)
        if not waiters:
            self._waiting.pop(order_id, None)

    def answer(self, order_id: str, report: VenueReport | None) -> None:
        """The venue's answer about the order (None: it has no such order), to everyone waiting for it."""
        for waiter in self._waiting.get(order_id, []):
            if not waiter.done():
                waiter.set_result(report)

    def fail(self, reason: str) -> None:
        """The session went: nobody's answer will come on it."""
        for waiters in self._waiting.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(VenueDown(reason))

    async def settle(self, asks: Mapping[str, Callable[[], Awaitable[None]]], timeout: float) -> list[str]:
        """Ask about every order (its id -> the send of its status request), then wait for the answers, at most
        ``timeout`` seconds: the ids left unanswered. VenueDown when a request cannot be sent."""
        asked = [(order_id, self.expect(order_id)) for order_id in asks]
        try:
            for ask in asks.values():
                await ask()
            if not asked:
                return []
            _, unanswered = await asyncio.wait([waiter for _, waiter in asked], timeout=timeout)
            return [order_id for order_id, waiter in asked if waiter in unanswered]
        finally:
            for order_id, waiter in asked:
                self.forget(order_id, waiter)
                if not waiter.cancel() and not waiter.cancelled():
                    waiter.exception()  # answered, or failed with the session: seen either way
