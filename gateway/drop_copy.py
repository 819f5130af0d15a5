"""The brokers' drop-copy door: a FIX 4.4 acceptor application that copies every execution of a tenant, in order,
to that tenant's drop-copy sessions as ExecutionReports (ExecType=F, CopyMsgIndicator=Y).

Each execution is handed to the session layer at once, logged on or not; the session stores it under its
MsgSeqNum, and a broker that was away gets what it missed through its ResendRequest, exactly once and in order.
An execution the hub booked but had not yet handed over when it stopped is in the report outbox: the door sends it
at start (``gateway.resume``, PossResend=Y). So a drop-copy session needs a persistent store and no sequence resets
(``gateway.config.check_drop_copy_session``). For example:

    [SESSION]                             # the .cfg     [gateway.drop_copy.BROKERA-DC]      # the hub's TOML
    BeginString=FIX.4.4                                  tenant = "broker-a"
    SenderCompID=HUB
    TargetCompID=BROKERA-DC
    SocketAcceptPort=9881
    FileStorePath=var/fix                 # or SQLStoreURL=env:FIX_STORE_URL

A binding that names its ``user`` logs on only while that user has ``drop_copy`` on the tenant (the policy, asked at
each Logon; a refusal is a Logout with the policy's reason).

Build it before the hub starts: fills booked while the OMS reconciles with its venues are executions too.

What a broker gets of the executions before its drop copy connected is the binding's ``catch_up``: with "day" (the
default), a session the hub meets for the first time starts with the day's executions so far (since 00:00 UTC by
the hub's clock), and a Logon with ResetSeqNumFlag=Y (a counterparty with ResetOnLogon=Y: the reset throws away
what the session had stored for it) is followed by the day's executions handed to the session so far, again; both
PossResend=Y with their ExecIDs, in the order booked, before what comes next. With "none", only what follows.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

import structlog

from engine.domain.order import OrdStatus, OrdType, Side, TimeInForce
from engine.domain.policy import Action
from engine.services import Services
from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.reject import UnsupportedMessageType
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from gateway.config import Bindings, DropCopyBinding, check_drop_copy_session
from gateway.logon_check import UserCheck
from gateway.outbox import Outbox
from gateway.reports import Fields, transact_time
from gateway.resume import POSS_RESEND, Resume

log = structlog.get_logger("gateway.drop_copy")

ABSOLUTE = "3"   # CommType(13): the commission is an amount


class DropCopy(Application):
    def __init__(self, services: Services, bindings: Bindings, outbox: Outbox, configs: Iterable[SessionConfig]) -> None:
        self.services = services
        self.clock = services.clock
        self.outbox = outbox
        self.users = UserCheck(services.directory)
        self._by_tenant: dict[str, list[SessionID]] = {}
        self._bindings: dict[SessionID, DropCopyBinding] = {}
        for config in configs:
            check_drop_copy_session(config)
            binding = bindings.drop_copy(config.session_id)
            assert binding is not None, f"{config.session_id} has no drop-copy binding"
            self._bindings[config.session_id] = binding
            self._by_tenant.setdefault(binding.tenant_id, []).append(config.session_id)
        self.resume = Resume("drop_copy", services.reports)
        self._resetting: set[SessionID] = set()   # sessions whose Logon asked for ResetSeqNumFlag
        missed: dict[int, tuple[str, dict[str, Any]]] = {}   # what a crash kept from the sessions' stores
        for session_id, binding in self._bindings.items():   # and, met for the first time, the day so far
            missed.update(self.resume.missed(session_id, [f"executions.{binding.tenant_id}"],
                                             self._before_today(binding)))
        for seq in sorted(missed):
            topic, execution = missed[seq]
            self._on_execution(topic.removeprefix("executions."), execution, resent=True)
        self._unsubscribe = [
            services.bus.subscribe(f"executions.{tenant}", functools.partial(self._on_execution_topic, tenant),
                                   group=f"gateway.drop_copy.{tenant}")
            for tenant in self._by_tenant]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def accept_logon(self, message: Message, session_id: SessionID) -> None:
        binding = self._bindings[session_id]
        if binding.user is not None:
            self.users.logon(self.users.tenant(binding.user, Action.DROP_COPY, binding.tenant_id),
                             session_id.target_comp_id, binding.user)
        if message.get(141) == b"Y":
            self._resetting.add(session_id)

    async def on_logon(self, session_id: SessionID) -> None:
        log.info("gateway.drop_copy.logon", session=str(session_id))
        if session_id in self._resetting:
            self._resetting.discard(session_id)
            self._catch_up(session_id)

    def _before_today(self, binding: DropCopyBinding) -> int | None:
        """The number of the last event before today, when the binding catches up on the day; else None."""
        reports = self.services.reports
        if binding.catch_up != "day" or reports is None:
            return None
        now = self.clock().astimezone(dt.UTC)
        return reports.last_before(dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC))

    def _catch_up(self, session_id: SessionID) -> None:
        """After a reset: the day's executions the session had been handed, again, ahead of anything new."""
        binding, reports = self._bindings[session_id], self.services.reports
        start = self._before_today(binding)
        if start is None or reports is None:
            return
        handed = self.resume.handed(session_id)
        again = [execution for seq, _, execution in reports.since(start, [f"executions.{binding.tenant_id}"])
                 if seq <= handed]
        for execution in again:
            self.outbox.put(session_id, b"8", self._report(execution), header=POSS_RESEND)
        log.info("gateway.drop_copy.caught_up", session=str(session_id), executions=len(again), after=start,
                 through=handed)

    async def on_logout(self, session_id: SessionID) -> None:
        log.info("gateway.drop_copy.logout", session=str(session_id))

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        raise UnsupportedMessageType()   # a drop copy only listens

    def _on_execution_topic(self, tenant: str, topic: str, execution: dict[str, Any]) -> None:
        self._on_execution(tenant, execution)

    def _on_execution(self, tenant: str, execution: dict[str, Any], *, resent: bool = False) -> None:
        sessions = [s for s in self._by_tenant[tenant] if self.resume.wanted(s, execution)]
        if not sessions:
            return
        fields = self._report(execution)
        for session_id in sessions:
            self.outbox.put(session_id, b"8", fields, header=POSS_RESEND if resent else (),
                            taken=self.resume.taken(session_id, execution))
        log.debug("gateway.drop_copy.execution", tenant=tenant, exec_id=execution["exec_id"],
                  order_id=execution["order_id"], sessions=[str(s) for s in sessions], resent=resent)

    def _report(self, execution: dict[str, Any]) -> Fields:
        # The order as this fill left it, from the event: it is published once its batch commits, when the order in
        # memory may already have moved on (a later fill of the same batch).
        quantity = execution["quantity"]
        status, cum, leaves, average = (OrdStatus[execution["status"]].value, execution["filled"],
                                        execution["leaves"], execution["average_price"])
        order_quantity = execution["order_quantity"]
        return [
            (37, execution["order_id"]), (11, execution["cl_ord_id"]), (17, execution["exec_id"]), (150, "F"),
            (39, status), (1, execution["account_id"]), (55, execution["symbol"]),
            (54, Side[execution["side"]].value), (38, order_quantity), *_terms(execution), (32, quantity),
            (31, execution["price"]), (30, execution["venue"]), (151, leaves), (14, cum), (6, average),
            (60, transact_time(dt.datetime.fromisoformat(execution["at"]))),   # when executed, also if sent again
            (12, execution["commission"]),
            (13, ABSOLUTE),
            (58, f"venue price {execution['venue_price']}, markup revenue {execution['markup_revenue']}"),
            (797, "Y"),
        ]


def _terms(execution: dict[str, Any]) -> Fields:
    """OrdType, Price and TimeInForce of the order as the client placed it. An execution kept in the outbox from
    before they were published has none, and goes without them."""
    fields: Fields = []
    if "ord_type" in execution:
        fields.append((40, OrdType[execution["ord_type"]].value))
    if execution.get("order_price") is not None:
        fields.append((44, execution["order_price"]))
    if "time_in_force" in execution:
        fields.append((59, TimeInForce[execution["time_in_force"]].value))
    return fields
