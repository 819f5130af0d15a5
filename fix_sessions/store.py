"""Message stores, as QuickFIX's MessageStore: sequence numbers and sent messages, kept for resend.

The session calls a store synchronously on every message, so ``save`` must be cheap. ``save`` keeps the message
and advances the next sender number in one step, so after a crash either both happened or neither. A store may
hold changes back until ``commit``, which the transport calls, and waits on, before every socket write: nothing
reaches a counterparty that a restart would not find. The memory and file stores commit in-line; the SQL store in
a thread of its own, so the event loop does not wait on the database.
"""
from __future__ import annotations

import datetime as dt
from concurrent.futures import Future
from typing import Protocol

from fix_sessions.session_id import SessionID


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class StoreError(Exception):
    """A change could not be made durable: nothing that depends on it may reach the counterparty."""


class MessageStore(Protocol):
    def next_sender_seq_num(self) -> int: ...
    def next_target_seq_num(self) -> int: ...
    def set_next_sender_seq_num(self, value: int) -> None: ...
    def set_next_target_seq_num(self, value: int) -> None: ...
    def incr_next_target_seq_num(self) -> None: ...
    def hold_target(self) -> None:
        """Keep the target number written as it is now until ``release_target`` (``SequenceNumbers``)."""

    def release_target(self) -> None: ...
    def save(self, seq_num: int, raw: bytes) -> None:
        """Keep an outbound message for resend and make the next sender number seq_num + 1, as one step."""

    def commit(self) -> Future[None] | None:
        """Start making every change so far durable: None if that is already done, else a future done when it is
        (or failed with StoreError). The transport awaits it before it writes what followed the changes."""

    def flush(self) -> None:
        """Make every change so far durable before returning."""

    def get(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        """Saved messages with begin <= seq <= end, ascending; gaps are simply absent."""

    def creation_time(self) -> dt.datetime: ...
    def reset(self, now: dt.datetime) -> None: ...
    def refresh(self) -> None: ...
    def close(self) -> None: ...


class SequenceNumbers:
    """The two numbers every store serves from memory; a durable store writes them in ``_numbers_changed``.

    While the target number is held (``hold_target``), a durable store writes the number as it was when the hold
    began: what the application took from the messages counted since must be durable before the numbers that
    consume them are (QuickFIX advances the number after fromApp returns). A crash meanwhile leaves them to the
    counterparty's resend."""

    _sender = 1
    _target = 1
    _held_target: int | None = None

    def hold_target(self) -> None:
        if self._held_target is None:
            self._held_target = self._target

    def release_target(self) -> None:
        if self._held_target is not None:
            self._held_target = None
            self._numbers_changed()

    def stored_target(self) -> int:
        """The target number a durable store writes now."""
        return self._target if self._held_target is None else self._held_target

    def next_sender_seq_num(self) -> int:
        return self._sender

    def next_target_seq_num(self) -> int:
        return self._target

    def set_next_sender_seq_num(self, value: int) -> None:
        self._sender = value
        self._numbers_changed()

    def set_next_target_seq_num(self, value: int) -> None:
        self._target = value
        self._numbers_changed()

    def incr_next_target_seq_num(self) -> None:
        self._target += 1
        self._numbers_changed()

    def _numbers_changed(self) -> None:
        """Kept in memory only."""


class MemoryStore(SequenceNumbers):
    """Everything in memory: fast, and gone with the process (QuickFIX's MemoryStore)."""

    def __init__(self, persist_messages: bool = True, now: dt.datetime | None = None) -> None:
        self._messages: dict[int, bytes] = {}
        self._persist = persist_messages
        self._created = now or utc_now()

    def save(self, seq_num: int, raw: bytes) -> None:
        if self._persist:
            self._messages[seq_num] = raw
        self._sender = seq_num + 1

    def commit(self) -> Future[None] | None:
        """Nothing held back."""
        return None

    def flush(self) -> None:
        """Nothing held back."""

    def get(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        messages = self._messages
        if end - begin < len(messages):
            return [(seq, messages[seq]) for seq in range(begin, end + 1) if seq in messages]
        return sorted((seq, raw) for seq, raw in messages.items() if begin <= seq <= end)

    def creation_time(self) -> dt.datetime:
        return self._created

    def reset(self, now: dt.datetime) -> None:
        self._sender = self._target = 1
        self._messages.clear()
        self._created = now

    def refresh(self) -> None:
        """Nothing outside this process to reload from."""

    def close(self) -> None:
        """Nothing to release."""


def create_store(
    session_id: SessionID, *, file_store_path: str | None, sql_store_url: str | None,
    persist_messages: bool = True, sync: bool = False, now: dt.datetime | None = None,
) -> MessageStore:
    """SQL when SQLStoreURL is set, a file store when FileStorePath is, memory otherwise."""
    if sql_store_url:
        from fix_sessions.sql_store import SqlStore

        return SqlStore(session_id, sql_store_url, persist_messages=persist_messages, now=now)
    if file_store_path:
        from fix_sessions.file_store import FileStore

        return FileStore(session_id, file_store_path, persist_messages=persist_messages, sync=sync, now=now)
    return MemoryStore(persist_messages=persist_messages, now=now)
