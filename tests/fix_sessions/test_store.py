"""Message stores keep sequence numbers and sent messages across restarts, and survive a kill -9 mid-write."""
from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from fix_sessions.file_store import FileStore
from fix_sessions.session_id import SessionID
from fix_sessions.sql_store import SqlStore
from fix_sessions.store import MemoryStore, MessageStore, StoreError, create_store

SESSION = SessionID("FIX.4.4", "HUB", "CLIENT")
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["memory", "file", "sqlite", "postgresql"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], MessageStore]:
    """Opens the same store again, as a restarted process would (memory: the same object)."""
    kind = request.param
    if kind == "memory":
        store = MemoryStore(now=T0)
        return lambda: store
    if kind == "file":
        return lambda: FileStore(SESSION, tmp_path / "store", now=T0)
    url = f"sqlite:///{tmp_path / 'store.db'}" if kind == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    return lambda: SqlStore(SESSION, url, now=T0)


def test_a_new_store_starts_at_one(reopen: Callable[[], MessageStore]) -> None:
    store = reopen()
    assert (store.next_sender_seq_num(), store.next_target_seq_num()) == (1, 1)
    assert store.creation_time() == T0


def test_saved_messages_and_numbers_come_back_after_a_restart(reopen: Callable[[], MessageStore]) -> None:
    store = reopen()
    for seq in range(1, 6):
        store.save(seq, b"8=FIX.4.4\x01message %d\x01" % seq)
    store.incr_next_target_seq_num()
    store.incr_next_target_seq_num()
    store.close()
    again = reopen()
    assert again.next_sender_seq_num() == 6 and again.next_target_seq_num() == 3
    assert again.get(2, 4) == [(seq, b"8=FIX.4.4\x01message %d\x01" % seq) for seq in (2, 3, 4)]
    assert again.get(6, 10) == []


def test_reset_starts_over_and_records_when(reopen: Callable[[], MessageStore]) -> None:
    store = reopen()
    store.save(1, b"one")
    store.set_next_target_seq_num(9)
    later = T0 + dt.timedelta(days=1)
    store.reset(later)
    assert (store.next_sender_seq_num(), store.next_target_seq_num(), store.get(1, 10)) == (1, 1, [])
    assert reopen().creation_time() == later


def test_sequence_reset_moves_the_sender_number_without_messages(reopen: Callable[[], MessageStore]) -> None:
    store = reopen()
    store.save(1, b"one")
    store.set_next_sender_seq_num(20)
    store.close()
    assert reopen().next_sender_seq_num() == 20
    assert reopen().get(1, 30) == [(1, b"one")]


def test_given_a_sequence_reset_gap_when_resending_then_the_gap_is_simply_absent(
        reopen: Callable[[], MessageStore]) -> None:
    store = reopen()
    store.save(1, b"one")
    store.save(2, b"two")
    store.set_next_sender_seq_num(5)
    store.save(5, b"five")
    store.save(6, b"six")
    store.close()
    assert reopen().get(1, 10) == [(1, b"one"), (2, b"two"), (5, b"five"), (6, b"six")]


def test_given_a_save_not_yet_flushed_when_the_process_dies_then_the_numbers_claim_no_missing_message(
        reopen: Callable[[], MessageStore]) -> None:
    store = reopen()
    store.save(1, b"one")            # held back: the transport flushes before the socket write, so not yet sent
    store.incr_next_target_seq_num()  # an inbound message counted
    again = reopen()                 # no close, no flush: as if killed here
    assert again.next_target_seq_num() == 2
    stored = again.get(1, 5)
    assert again.next_sender_seq_num() == (stored[-1][0] + 1 if stored else 1), \
        "the sender number must never run ahead of the messages a resend could find"


def test_given_the_database_refuses_a_commit_the_flush_fails_and_the_changes_go_in_with_the_next(
        tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    url = f"sqlite:///{database}?timeout=0.1"
    store = SqlStore(SESSION, url, now=T0)
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    store.save(1, b"one")
    with pytest.raises(StoreError, match="database is locked"):
        store.flush()
    other.execute("ROLLBACK")
    store.save(2, b"two")
    store.flush()
    again = SqlStore(SESSION, url)
    assert again.get(1, 5) == [(1, b"one"), (2, b"two")] and again.next_sender_seq_num() == 3


def test_without_persist_messages_only_numbers_are_kept(tmp_path: Path) -> None:
    store = create_store(SESSION, file_store_path=str(tmp_path), sql_store_url=None, persist_messages=False)
    store.save(1, b"one")
    assert store.get(1, 1) == [] and store.next_sender_seq_num() == 2


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=20))
def test_file_store_round_trips_any_bytes(tmp_path_factory: pytest.TempPathFactory, messages: list[bytes]) -> None:
    folder = tmp_path_factory.mktemp("prop")
    store = FileStore(SESSION, folder)
    for seq, raw in enumerate(messages, start=1):
        store.save(seq, raw)
    store.close()
    assert FileStore(SESSION, folder).get(1, len(messages)) == list(enumerate(messages, start=1))


WRITER = """
import sys
from fix_sessions.store import create_store
from fix_sessions.session_id import SessionID
store = create_store(SessionID("FIX.4.4", "HUB", "CLIENT"), file_store_path=sys.argv[1] or None,
                     sql_store_url=sys.argv[2] or None)
seq = store.next_sender_seq_num()
print("ready", flush=True)
while True:  # as the transport does: save, flush before the socket write
    store.save(seq, b"8=FIX.4.4|" + str(seq).encode() * 50)
    store.flush()
    seq += 1
"""


@pytest.mark.parametrize("kind", ["file", "sqlite", "postgresql"])
def test_kill_9_while_saving_loses_nothing_that_was_saved(kind: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    folder = str(tmp_path / "store") if kind == "file" else ""
    url = {"file": "", "sqlite": f"sqlite:///{tmp_path / 'store.db'}"}[kind] if kind != "postgresql" \
        else request.getfixturevalue("fresh_postgres_url")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, folder, url], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[2])
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
    time.sleep(0.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)
    store = create_store(SESSION, file_store_path=folder or None, sql_store_url=url or None)
    next_seq = store.next_sender_seq_num()
    assert next_seq > 5, "the writer saved almost nothing before it was killed"
    saved = store.get(1, next_seq)
    assert [seq for seq, _ in saved] == list(range(1, next_seq))
    assert all(raw == b"8=FIX.4.4|" + str(seq).encode() * 50 for seq, raw in saved)


def test_a_torn_final_record_is_cut_off_not_returned(tmp_path: Path) -> None:
    store = FileStore(SESSION, tmp_path)
    store.save(1, b"whole")
    store.save(2, b"also whole")
    store.close()
    body = tmp_path / "FIX.4.4-HUB-CLIENT.body"
    body.write_bytes(body.read_bytes()[:-3])
    with capture_logs() as logs:
        again = FileStore(SESSION, tmp_path)
    assert [entry["event"] for entry in logs] == ["fix.store.torn_tail_discarded"]
    assert again.get(1, 5) == [(1, b"whole")] and again.next_sender_seq_num() == 2
    again.save(2, b"rewritten")
    again.flush()
    assert FileStore(SESSION, tmp_path).get(1, 5) == [(1, b"whole"), (2, b"rewritten")]
