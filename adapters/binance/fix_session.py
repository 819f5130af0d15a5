"""Binance's FIX order entry session over fix_sessions (fix-api.md): an initiator per SenderCompID, the Logon signed
with the Ed25519 key, the message limit kept on our side, and News <B> answered by logging on afresh under the next
SenderCompID before the old session is logged out. What comes back goes to a ``FixHandler``; a message it cannot
apply is logged and passed over, never the end of the session."""
from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from typing import Protocol

import structlog

from adapters.binance.config import BinanceConfig
from adapters.binance.fix_api import (
    ERROR_CODE,
    TARGET_COMP_ID,
    ExecutionReport,
    Fields,
    load_private_key,
    read_execution_report,
    sign_logon,
)
from adapters.contained import contained
from engine.ports import VenueDown
from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig, TlsSettings
from fix_sessions.transport import SocketInitiator
from fix_specs import path as spec_path

log = structlog.get_logger("adapters.binance")
DICTIONARY = str(spec_path("BINANCE-FIX44-OE.xml"))
SENT_REMEMBERED = 20000      # outgoing messages a Reject's RefSeqNum can still be traced to


class FixHandler(Protocol):
    def fix_execution(self, report: ExecutionReport) -> None: ...
    def fix_cancel_reject(self, cl_ord_id: str, orig_cl_ord_id: str | None, code: int | None, text: str) -> None: ...
    def fix_refused(self, msg_type: str, cl_ord_id: str | None, code: int | None, text: str) -> None: ...
    def fix_logged_on(self, reconnected: bool) -> None: ...
    def fix_logged_out(self) -> None: ...


class FixOrderEntry(Application):
    def __init__(self, config: BinanceConfig, handler: FixHandler) -> None:
        self.config = config
        self.handler = handler
        self._key = load_private_key(config.fix_private_key_pem)
        self._initiators: dict[SessionID, SocketInitiator] = {}
        self._current: SessionID | None = None
        self._comp_index = 0
        self._logged_on: set[SessionID] = set()
        self._ever_logged_on: set[SessionID] = set()
        self._refusals: dict[SessionID, str] = {}
        self._changed = asyncio.Event()
        self._sent: collections.OrderedDict[tuple[SessionID, int], tuple[str, str | None]] = \
            collections.OrderedDict()
        self._budget: collections.deque[float] = collections.deque()
        self._rotation: asyncio.Task[None] | None = None

    # ---- life
    @property
    def logged_on(self) -> bool:
        return self._current is not None and self._current in self._logged_on

    @property
    def logon_refused(self) -> str | None:
        """Binance's reason for refusing the current session's last logon, until one succeeds."""
        return self._refusals.get(self._current) if self._current is not None else None

    async def start(self) -> None:
        """Log on under the first SenderCompID; VenueDown with Binance's reason if it refuses."""
        self._current = await self._log_on(self.config.fix_sender_comp_ids[self._comp_index])

    async def stop(self) -> None:
        if self._rotation is not None:
            self._rotation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rotation
        for session_id in list(self._initiators):
            await self._stop(session_id)
        self._current = None

    async def _log_on(self, sender_comp_id: str) -> SessionID:
        session_id = SessionID("FIX.4.4", sender_comp_id, TARGET_COMP_ID)
        self._refusals.pop(session_id, None)
        initiator = SocketInitiator([self._session_config(session_id)], self, first_retry=self.config.reconnect_delay)
        self._initiators[session_id] = initiator
        await initiator.start()
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                while session_id not in self._logged_on:
                    if session_id in self._refusals:
                        raise VenueDown(f"{self.config.name}: FIX logon refused: {self._refusals[session_id]}")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            await self._stop(session_id)
            raise VenueDown(f"{self.config.name}: no FIX logon within {self.config.connect_timeout:g} s") from None
        except VenueDown:
            await self._stop(session_id)
            raise
        return session_id

    async def _stop(self, session_id: SessionID) -> None:
        initiator = self._initiators.pop(session_id, None)
        if initiator is not None:
            await initiator.stop(logout_wait=1.0)
        self._logged_on.discard(session_id)

    def _session_config(self, session_id: SessionID) -> SessionConfig:
        """ResetSeqNumFlag=Y on every Logon (Binance continues no sequence and resends nothing); a lenient reader."""
        c = self.config
        return SessionConfig(
            session_id=session_id, connection_type="initiator", heartbeat_interval=c.fix_heartbeat_interval,
            socket_connect_hosts=((c.fix_host, c.fix_port),), reconnect_interval=max(1, int(c.max_reconnect_delay)),
            reset_on_logon=True, reset_on_disconnect=True, data_dictionary=DICTIONARY, allow_unknown_msg_fields=True,
            validate_user_defined_fields=False, persist_messages=False, logon_timeout=int(c.connect_timeout),
            tls=TlsSettings() if c.fix_tls else None)

    async def _rotate(self) -> None:
        """Binance goes into maintenance: a new session under the next SenderCompID, then the old one logs out."""
        old = self._current
        ids = self.config.fix_sender_comp_ids
        if len(ids) < 2 or old is None:
            log.warning("binance_fix_cannot_rotate", venue=self.config.name, reason="one SenderCompID configured")
            return
        self._comp_index = (self._comp_index + 1) % len(ids)
        try:
            new = await self._log_on(ids[self._comp_index])
        except VenueDown as error:
            log.error("binance_fix_rotation_failed", venue=self.config.name, error=str(error))
            return
        self._current = new
        log.info("binance_fix_rotated", venue=self.config.name, old=str(old), new=str(new))
        await self._stop(old)

    # ---- sending
    async def send(self, msg_type: str, fields: Fields) -> None:
        """One application message on the current session; VenueDown when it is not logged on or the message
        limit would be broken (Binance logs out a session that breaks it)."""
        session_id = self._current
        if session_id is None or session_id not in self._logged_on:
            raise VenueDown(f"{self.config.name}: the FIX session is not logged on")
        await self._spend()
        await self._initiators[session_id].send_to_target(session_id, msg_type.encode(), fields)

    async def _spend(self) -> None:
        window, limit = self.config.fix_message_window, self.config.fix_message_limit
        while True:
            now = time.monotonic()
            while self._budget and self._budget[0] <= now - window:
                self._budget.popleft()
            if len(self._budget) < limit:
                self._budget.append(now)
                return
            wait = self._budget[0] + window - now
            if wait > self.config.max_backoff_wait:
                raise VenueDown(f"{self.config.name}: FIX message limit {limit} per {window:g} s reached")
            await asyncio.sleep(wait)

    # ---- fix_sessions callbacks
    @contained
    async def on_logon(self, session_id: SessionID) -> None:
        reconnected = session_id in self._ever_logged_on
        self._logged_on.add(session_id)
        self._ever_logged_on.add(session_id)
        self._refusals.pop(session_id, None)
        self._changed.set()
        log.info("binance_fix_logged_on", venue=self.config.name, session=str(session_id), reconnected=reconnected)
        if session_id == self._current or self._current is None:
            self.handler.fix_logged_on(reconnected)

    @contained
    async def on_logout(self, session_id: SessionID) -> None:
        self._logged_on.discard(session_id)
        self._changed.set()
        log.info("binance_fix_logged_out", venue=self.config.name, session=str(session_id))
        if session_id == self._current:
            self.handler.fix_logged_out()

    def to_admin(self, message: Message, session_id: SessionID) -> None:
        self._budget.append(time.monotonic())
        if message.msg_type == b"A":
            sign_logon(message, self._key, self.config.fix_api_key, self.config.fix_message_handling)

    def to_app(self, message: Message, session_id: SessionID) -> None:
        self._sent[(session_id, message.get_int(34, 0) or 0)] = (message.msg_type.decode(), message.get_str(11))
        while len(self._sent) > SENT_REMEMBERED:
            self._sent.popitem(last=False)

    @contained
    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        if message.msg_type == b"3":
            self._refused(message, session_id)
        elif message.msg_type == b"5" and session_id not in self._logged_on and message.get_str(58):
            self._refusals.setdefault(session_id, message.get_str(58) or "")
            self._changed.set()

    @contained
    async def from_app(self, message: Message, session_id: SessionID) -> None:
        msg_type = message.msg_type
        if msg_type == b"8":
            self.handler.fix_execution(read_execution_report(message))
        elif msg_type == b"9":
            self.handler.fix_cancel_reject(message.get_str(11, "") or "", message.get_str(41),
                                           message.get_int(ERROR_CODE), message.get_str(58, "") or "")
        elif msg_type == b"j":
            self._refused(message, session_id)
        elif msg_type == b"B":
            log.warning("binance_fix_news", venue=self.config.name, session=str(session_id),
                        headline=message.get_str(148))
            if session_id == self._current and (self._rotation is None or self._rotation.done()):
                self._rotation = asyncio.create_task(self._rotate())
        else:
            log.info("binance_fix_message_ignored", venue=self.config.name, msg_type=msg_type.decode())

    def _refused(self, message: Message, session_id: SessionID) -> None:
        """Reject <3> (or a BusinessMessageReject): the request its RefSeqNum names failed, with ErrorCode and Text."""
        code, text = message.get_int(ERROR_CODE), message.get_str(58, "") or ""
        if session_id not in self._logged_on:
            self._refusals[session_id] = f"{code} {text}" if code is not None else text
            self._changed.set()
            log.error("binance_fix_logon_refused", venue=self.config.name, session=str(session_id), code=code,
                      text=text)
            return
        ref = self._sent.get((session_id, message.get_int(45, 0) or 0))
        log.warning("binance_fix_rejected", venue=self.config.name, ref_seq_num=message.get_str(45), code=code,
                    text=text, ref_msg_type=message.get_str(372))
        if ref is not None:
            self.handler.fix_refused(ref[0], ref[1], code, text)
