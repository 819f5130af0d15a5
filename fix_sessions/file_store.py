"""A file message store that survives kill -9: an append-only body log, a sequence-number file, a session file.

Files, named from the SessionID as QuickFIX names them (``FIX.4.4-HUB-CLIENT``):
  ``.body``     records of (seq num, length, CRC32) in little-endian uint32s, then the message bytes; a record
                torn by a crash fails its length or CRC check and is cut off on the next open
  ``.seqnums``  ``<next sender> : <next target>`` as two 20-digit numbers, rewritten in place through mmap (no
                system call per message; the kernel holds the page, so a killed process loses nothing)
  ``.session``  the creation (last reset) time, ISO 8601 UTC
A saved record implies the next sender number, so keeping a message and advancing the number is one write.
Records saved between two flushes go out in one write; the transport flushes before it writes to the socket, so
whatever a counterparty received is on disk. Without ``sync`` nothing is fsynced: a killed process loses nothing
(the kernel holds the pages); a power cut may.
"""
from __future__ import annotations

import datetime as dt
import mmap
import os
import struct
import zlib
from concurrent.futures import Future
from pathlib import Path

import structlog

from fix_sessions.session_id import SessionID
from fix_sessions.store import SequenceNumbers, utc_now

log = structlog.get_logger("fix.store")

_RECORD = struct.Struct("<III")
_SEQNUMS = b"%020d : %020d\n"
_SEQNUMS_SIZE = 64


class FileStore(SequenceNumbers):
    def __init__(self, session_id: SessionID, directory: str | os.PathLike[str], *, persist_messages: bool = True,
                 sync: bool = False, now: dt.datetime | None = None) -> None:
        self._persist = persist_messages
        self._sync = sync
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        stem = "-".join(filter(None, [session_id.begin_string, session_id.sender_comp_id,
                                      session_id.target_comp_id, session_id.qualifier]))
        self._body_path = folder / f"{stem}.body"
        self._seqnums_path = folder / f"{stem}.seqnums"
        self._session_path = folder / f"{stem}.session"
        self._body = os.open(self._body_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._seqnums = os.open(self._seqnums_path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._seqnums).st_size < _SEQNUMS_SIZE:
            os.ftruncate(self._seqnums, _SEQNUMS_SIZE)
        self._seqnums_map = mmap.mmap(self._seqnums, _SEQNUMS_SIZE)
        self._end = 0
        self._unwritten: list[bytes] = []
        self._index: dict[int, tuple[int, int]] = {}
        self._sender = self._target = 1
        self._created = now or utc_now()
        self._load(now)

    def _load(self, now: dt.datetime | None) -> None:
        if self._session_path.exists():
            self._created = dt.datetime.fromisoformat(self._session_path.read_text().strip())
        else:
            self._write_session(now or utc_now())
        text = self._seqnums_map[:].rstrip(b"\0")
        if text.strip():
            sender, _, target = text.partition(b":")
            self._sender, self._target = int(sender), int(target)
        self._index.clear()
        size = os.fstat(self._body).st_size
        data = os.pread(self._body, size, 0) if size else b""
        offset = 0
        while offset + _RECORD.size <= size:
            seq, length, crc = _RECORD.unpack_from(data, offset)
            start = offset + _RECORD.size
            raw = data[start:start + length]
            if len(raw) != length or zlib.crc32(raw, seq) != crc:
                break
            self._index[seq] = (start, length)
            self._sender = max(self._sender, seq + 1)
            offset = start + length
        if offset < size:
            log.warning("fix.store.torn_tail_discarded", file=str(self._body_path), bytes=size - offset)
            os.ftruncate(self._body, offset)
        self._end = offset
        self._durable_sender = self._sender

    def save(self, seq_num: int, raw: bytes) -> None:
        if not self._persist:
            self.set_next_sender_seq_num(seq_num + 1)
            return
        record = _RECORD.pack(seq_num, len(raw), zlib.crc32(raw, seq_num)) + raw
        self._unwritten.append(record)
        self._index[seq_num] = (self._end + _RECORD.size, len(raw))
        self._end += len(record)
        self._sender = seq_num + 1

    def flush(self) -> None:
        if self._unwritten:
            os.write(self._body, b"".join(self._unwritten))
            self._unwritten.clear()
            self._durable_sender = self._sender
            if self._sync:
                os.fsync(self._body)

    def commit(self) -> Future[None] | None:
        """In-line: one write of what was held back is cheap enough for the event loop."""
        self.flush()
        return None

    def get(self, begin: int, end: int) -> list[tuple[int, bytes]]:
        self.flush()
        index = self._index
        wanted = range(begin, end + 1) if end - begin < len(index) else sorted(s for s in index if begin <= s <= end)
        return [(seq, os.pread(self._body, index[seq][1], index[seq][0])) for seq in wanted if seq in index]

    def creation_time(self) -> dt.datetime:
        return self._created

    def reset(self, now: dt.datetime) -> None:
        self._unwritten.clear()
        os.ftruncate(self._body, 0)
        self._end = 0
        self._durable_sender = 1
        self._index.clear()
        self._sender = self._target = 1
        self._numbers_changed()
        self._write_session(now)

    def refresh(self) -> None:
        self.flush()
        self._load(None)

    def close(self) -> None:
        if self._seqnums_map.closed:
            return
        self.flush()
        self._seqnums_map.close()
        os.close(self._body)
        os.close(self._seqnums)

    def set_next_sender_seq_num(self, value: int) -> None:
        self.flush()
        self._durable_sender = value
        super().set_next_sender_seq_num(value)

    def _numbers_changed(self) -> None:
        """The sender number on disk never runs ahead of the messages on disk (held-back saves imply their own)."""
        text = _SEQNUMS % (self._durable_sender, self.stored_target())
        self._seqnums_map[:len(text)] = text
        if self._sync:
            self._seqnums_map.flush()

    def _write_session(self, now: dt.datetime) -> None:
        self._created = now.astimezone(dt.timezone.utc)
        temporary = self._session_path.with_suffix(".session.tmp")
        temporary.write_text(self._created.isoformat() + "\n")
        os.replace(temporary, self._session_path)
