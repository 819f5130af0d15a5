"""The client FIX doors on one acceptor: order-entry and drop-copy sessions share its ports and are told apart by
their bindings (``gateway.config``).

    settings = load_settings("etc/gateway.cfg")          # the sessions, QuickFIX-style
    gateway = Gateway(hub.services, settings, load_bindings("etc/hub.toml"))
    await hub.start()                                      # after: the drop copy hears the restart's fills too
    await gateway.start()                                  # listens once the hub is ready
    ...
    await gateway.stop()
"""
from __future__ import annotations

import structlog

from engine.login_guard import LoginGuard
from engine.services import Services
from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig, Settings
from fix_sessions.transport import SocketAcceptor
from gateway.config import Bindings, Credentials
from gateway.drop_copy import DropCopy
from gateway.logon_check import LogonCheck
from gateway.order_entry import OrderEntry
from gateway.outbox import Outbox

log = structlog.get_logger("gateway")


class Gateway:
    def __init__(self, services: Services, settings: Settings | list[SessionConfig], bindings: Bindings) -> None:
        configs = list(settings.acceptors() if isinstance(settings, Settings) else settings)
        bindings.check(services.directory)
        entry, copies = bindings.split(configs)
        self.services = services
        self.outbox = Outbox()
        self.order_entry = OrderEntry(services, bindings, self.outbox, [c.session_id for c in entry], self._logged_on)
        self.drop_copy = DropCopy(services, bindings, self.outbox, copies)
        applications: dict[SessionID, Application] = {c.session_id: self.order_entry for c in entry}
        applications.update({c.session_id: self.drop_copy for c in copies})
        self.credentials = {c.session_id: binding.logon for c in configs
                            if (binding := bindings.client(c.session_id) or bindings.drop_copy(c.session_id))}
        self.logon_check = LogonCheck(LoginGuard(services.clock))
        self.acceptor = SocketAcceptor(configs, _BySession(applications, self.credentials, self.logon_check))

    def _logged_on(self, session_id: SessionID) -> bool:
        return self.acceptor.sessions[session_id].logged_on

    @property
    def ports(self) -> list[int]:
        return self.acceptor.ports

    async def start(self) -> None:
        self.outbox.start(self.acceptor)
        await self.services.ready.wait()
        await self.acceptor.start()
        log.info("gateway.started", ports=self.ports, sessions=[str(s) for s in self.acceptor.sessions])

    async def stop(self) -> None:
        """New orders are refused first; the ones already handed to the OMS are answered and the doors keep
        listening until every session has logged out. What is booked after that reaches them from the report
        outbox when the gateway starts again."""
        await self.order_entry.stop_taking()
        await self.outbox.drain()
        await self.acceptor.stop()
        self.order_entry.close()
        self.drop_copy.close()
        await self.outbox.stop()
        log.info("gateway.stopped")


class _BySession(Application):
    """Hands each callback to the application of its session, after one logon check for both doors. to_admin and
    to_app are left alone: neither door changes outgoing messages, and the session skips building a Message for a
    hook nobody overrides."""

    def __init__(self, applications: dict[SessionID, Application], credentials: dict[SessionID, Credentials],
                 logon_check: LogonCheck) -> None:
        self.applications = applications
        self.credentials = credentials
        self.logon_check = logon_check

    async def on_create(self, session_id: SessionID) -> None:
        await self.applications[session_id].on_create(session_id)

    async def on_logon(self, session_id: SessionID) -> None:
        await self.applications[session_id].on_logon(session_id)

    async def on_logout(self, session_id: SessionID) -> None:
        await self.applications[session_id].on_logout(session_id)

    async def authenticate(self, message: Message, session_id: SessionID, peer: str) -> None:
        await self.logon_check.check(self.credentials[session_id], message, session_id.target_comp_id, peer)

    def accept_logon(self, message: Message, session_id: SessionID) -> None:
        self.applications[session_id].accept_logon(message, session_id)

    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        await self.applications[session_id].from_admin(message, session_id)

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        await self.applications[session_id].from_app(message, session_id)

    async def settled(self, session_id: SessionID) -> None:
        await self.applications[session_id].settled(session_id)
