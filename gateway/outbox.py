"""Messages for the gateway's sessions, sent one at a time in the order they were put.

Bus handlers are plain functions and ``send_to_target`` is a coroutine: a queue between them keeps every report
behind the one before it. A session that is down still gets its messages: the session layer stores them and its
counterparty's ResendRequest recovers them.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Sequence

import structlog

from fix_sessions.codec import Value
from fix_sessions.session_id import SessionID
from fix_sessions.transport import SocketAcceptor

log = structlog.get_logger("gateway.outbox")

Fields = Sequence[tuple[int, Value]]
Taken = Callable[[], None] | None   # called once the session's store holds the message (``gateway.resume``)


_UNSAFE = re.compile("[^\x20-\x7e\xa0-\xff]")


def fix_safe(fields: Fields) -> Fields:
    """Every text as a FIX field can carry it: Latin-1 without SOH or any other control character, each of which
    becomes '?'. A ClOrdID or a venue's Text from another door can then neither splice tags into a report nor make
    it fail to encode (which would drop the report for this session and the drop copy alike). Bytes are left alone:
    they come from our own formatting or from a parsed FIX field, which holds no SOH."""
    for _, value in fields:
        if type(value) is str and _UNSAFE.search(value):
            return [(tag, _UNSAFE.sub("?", value) if type(value) is str else value) for tag, value in fields]
    return fields


class Outbox:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[SessionID, bytes, Fields, Fields, Taken]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def put(self, session_id: SessionID, msg_type: bytes, body: Fields, *, header: Fields = (),
            taken: Taken = None) -> None:
        self._queue.put_nowait((session_id, msg_type, fix_safe(body), header, taken))

    def start(self, acceptor: SocketAcceptor) -> None:
        self._task = asyncio.create_task(self._run(acceptor))

    async def drain(self) -> None:
        """Wait until everything put so far has been handed to its session."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._task is not None:
            await self.drain()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, acceptor: SocketAcceptor) -> None:
        while True:
            session_id, msg_type, body, header, taken = await self._queue.get()
            stored = True
            try:
                await acceptor.send_to_target(session_id, msg_type, body, header)
            except (ConnectionError, OSError) as error:  # stored before the write: the resend recovers it
                log.warning("gateway.outbox.write_failed", session=str(session_id), reason=str(error))
            except Exception:  # one bad message must not stop every later report: logged for the operator
                stored = False   # and not taken: a restart offers it again
                log.exception("gateway.outbox.send_failed", session=str(session_id), msg_type=msg_type.decode())
            finally:
                self._queue.task_done()
            if stored and taken is not None:
                taken()
