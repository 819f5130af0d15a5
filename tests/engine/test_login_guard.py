"""The back-off every password door shares: free tries, then locks that double, per login and per address."""
from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from engine.login_guard import Locked, LoginGuard

START = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_five_wrong_passwords_are_free_then_each_lock_doubles() -> None:
    clock = Clock()
    guard = LoginGuard(clock, free_failures=5, first_delay=2.0, max_delay=16.0)
    keys = ("login:alice", "addr:10.0.0.9")
    for _ in range(5):
        assert guard.wait(keys) == 0
        guard.failed(keys)
    assert guard.wait(keys) == 0
    locks = []
    for _ in range(5):
        guard.failed(keys)
        locks.append(guard.wait(keys))
        clock.advance(locks[-1])
    assert locks == [2.0, 4.0, 8.0, 16.0, 16.0]   # capped at max_delay


def test_a_lock_holds_for_its_login_and_its_address_not_for_others() -> None:
    clock = Clock()
    guard = LoginGuard(clock, free_failures=0, first_delay=30.0)
    guard.failed(("login:alice", "addr:10.0.0.9"))
    assert guard.wait(("login:alice", "addr:10.0.0.1")) == 30.0      # alice from anywhere
    assert guard.wait(("login:bob", "addr:10.0.0.9")) == 30.0        # anyone from that address
    assert guard.wait(("login:bob", "addr:10.0.0.1")) == 0
    clock.advance(30)
    assert guard.wait(("login:alice", "addr:10.0.0.9")) == 0


def test_a_success_clears_the_login_but_not_the_address() -> None:
    clock = Clock()
    guard = LoginGuard(clock, free_failures=0, first_delay=10.0)
    guard.failed(("login:alice", "addr:10.0.0.9"))
    guard.succeeded("login:alice")
    assert guard.wait(("login:alice",)) == 0
    assert guard.wait(("addr:10.0.0.9",)) == 10.0


def test_a_flood_of_made_up_names_keeps_memory_bounded_and_the_flooding_address_locked() -> None:
    clock = Clock()
    guard = LoginGuard(clock, free_failures=3, first_delay=5.0, max_keys=100)
    for n in range(10_000):
        guard.failed((f"login:user{n}", "addr:10.6.6.6"))
    assert len(guard) <= 100
    assert guard.wait(("login:someone", "addr:10.6.6.6")) > 0


async def test_checks_run_one_at_a_time_and_a_queued_attempt_is_refused_once_its_keys_lock() -> None:
    guard = LoginGuard(Clock(), free_failures=0, first_delay=10.0)
    ran: list[str] = []

    def wrong_password() -> None:
        ran.append("hash")
        time.sleep(0.05)   # as scrypt would, on its thread
        return None

    outcomes = await asyncio.gather(*(guard.attempt("web:alice", "10.0.0.9", wrong_password)
                                      for _ in range(3)), return_exceptions=True)
    assert ran == ["hash"], "the burst waited behind the first hash and then met the lock it set"
    assert outcomes[0] is None and all(isinstance(o, Locked) and o.seconds == 10.0 for o in outcomes[1:])
    assert await guard.attempt("web:bob", "10.0.0.1", lambda: "bob") == "bob"


async def test_the_doors_policy_locks_a_login_from_its_address_and_the_address_never_the_login_everywhere() -> None:
    guard = LoginGuard(Clock(), free_failures=0, first_delay=10.0)
    assert await guard.attempt("fix:ALICE", "10.0.0.9", lambda: None) is None
    for login, address in (("fix:ALICE", "10.0.0.9"), ("fix:BOB", "10.0.0.9")):   # the login there, the address
        with pytest.raises(Locked):
            await guard.attempt(login, address, lambda: True)
    assert await guard.attempt("fix:ALICE", "10.0.0.1", lambda: True), "ALICE from her own network is not locked"
