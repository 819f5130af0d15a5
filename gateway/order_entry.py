"""The client order-entry door: a FIX 4.4 acceptor application. NewOrderSingle (D), OrderCancelRequest (F),
OrderCancelReplaceRequest (G), OrderStatusRequest (H) and MarketDataRequest (V) become engine calls; every order
event of the session's accounts becomes an ExecutionReport (``gateway.reports``).

A session trades for the accounts bound to its counterparty's CompID (``gateway.config``); an order naming any
other Account(1) is rejected (OrdRejReason 15, "unknown account") before the OMS sees it. A binding that names its
``user`` is held to that user's permissions as well: its Logon is refused (a Logout naming why) unless the user may
trade on one of its accounts, and an order, cancel or replace on an account the user may not trade on is refused as
one on an unknown account is, with the policy's reason in Text (a status request asks ``accounts.read``), and the
session hears only of the accounts the user may read. For example:

    [SESSION]                             # the .cfg     [gateway.order_entry.PROPFIRM1]     # the hub's TOML
    BeginString=FIX.4.4                                  accounts = ["ACC-1", "ACC-2"]
    SenderCompID=HUB                                     default_account = "ACC-1"
    TargetCompID=PROPFIRM1
    SocketAcceptPort=9880
    FileStorePath=var/fix

ClOrdID chains are the client's: a cancel or replace carries a new ClOrdID and the one before as OrigClOrdID, is
answered with both, and the new one names the order from then on; the OMS keeps knowing the order by its first.
An order without TimeInForce(59) is a DAY order, as FIX has it; the OMS sends each order to its venue in a time in
force the venue offers and expires DAY and GTD orders itself (adapters/README.md, "Times in force"), while every
report keeps the one the client asked for. A NewOrderSingle refused here echoes the account and the terms it had.
Not offered over FIX: trailing stops (OrdType P needs PegPriceType(1094), which FIX 4.4 lacks), brackets, OCO.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog

from engine.domain.order import TERMINAL, Order, OrdStatus, OrdType, Side, TimeInForce
from engine.domain.policy import Action
from engine.domain.rejects import Rejection
from engine.oms import NewOrder
from engine.services import Services
from fix_sessions.application import Application, RejectLogon
from fix_sessions.codec import Message
from fix_sessions.reject import BusinessReject, BusinessRejectReason, UnsupportedMessageType
from fix_sessions.session_id import SessionID
from fix_sessions.utctime import parse_timestamp
from gateway.config import Bindings, ClientBinding
from gateway.logon_check import UserCheck
from gateway.market_data import MarketData
from gateway.outbox import Outbox
from gateway.reports import (
    CANCEL_REQUEST,
    CXL_REJ_REASON,
    ECHOED_TERMS,
    EXEC_TYPE,
    NO_ORDER_ID,
    ORD_REJ_REASON,
    REPLACE_REQUEST,
    Fields,
    event_text,
    execution_report,
    order_cancel_reject,
    rejected_new_order,
    transact_time,
)
from gateway.resume import POSS_RESEND, Resume

log = structlog.get_logger("gateway.order_entry")

ORDER_TYPES = frozenset({OrdType.MARKET, OrdType.LIMIT, OrdType.STOP, OrdType.STOP_LIMIT, OrdType.MARKET_IF_TOUCHED})
SYMBOL_REQUIRED = frozenset({b"D", b"F", b"G", b"H"})   # each names its order's Instrument
# Events that end a pending cancel or replace the way the client asked.
_ANSWERS = {"cancel": ("pending_cancel", "canceled"), "replace": ("pending_replace", "replaced")}
_TOO_LATE = 0   # CxlRejReason TOO_LATE_TO_CANCEL


class _Refused(Exception):
    """A request the gateway answers itself: OrdRejReason or CxlRejReason, and a sentence."""

    def __init__(self, reason: int, text: str) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text


@dataclass(slots=True)
class _Pending:
    kind: str            # "cancel" or "replace"
    cl_ord_id: str
    orig_cl_ord_id: str


@dataclass(slots=True)
class _Chain:
    account: str
    current: str         # the ClOrdID the client knows the order by now
    pending: _Pending | None = None


class OrderEntry(Application):
    def __init__(self, services: Services, bindings: Bindings, outbox: Outbox, sessions: Iterable[SessionID],
                 logged_on: Callable[[SessionID], bool]) -> None:
        self.services = services
        self.clock = services.clock
        self.oms = services.oms
        self.outbox = outbox
        self.users = UserCheck(services.directory)
        self._bindings: dict[SessionID, ClientBinding] = {}
        self._by_account: dict[str, list[SessionID]] = {}
        for session_id in sessions:
            binding = bindings.client(session_id)
            assert binding is not None, f"{session_id} has no order-entry binding"
            self._bindings[session_id] = binding
            for account in binding.accounts:
                self._by_account.setdefault(account, []).append(session_id)
        self._chains: dict[str, _Chain] = {}                  # order id -> its client chain
        self._by_client: dict[tuple[str, str], str] = {}      # (account, any ClOrdID of a chain) -> order id
        self._acknowledged: set[str] = set()                  # orders whose ExecType=0 went out
        self._submitting: set[asyncio.Task[None]] = set()     # new orders handed to the OMS, not yet returned
        self._stopping = False
        self._exec_ids = itertools.count(1)
        self._exec_prefix = f"{services.oms.order_id_prefix}X"   # unique per start, as the OMS's order ids
        self.market_data = MarketData(services.bus, services.oms.instruments, outbox, logged_on)
        self.resume = Resume("order_entry", services.reports)
        topics = {account: f"orders.{services.directory.accounts[account].tenant_id}.{account}"
                  for account in self._by_account}
        missed: dict[int, tuple[str, dict[str, Any]]] = {}   # what a crash kept from the sessions' stores
        for session_id, binding in self._bindings.items():
            missed.update(self.resume.missed(session_id, [topics[account] for account in binding.accounts]))
        accounts = {topic: account for account, topic in topics.items()}
        for seq in sorted(missed):
            topic, event = missed[seq]
            self._on_order_event(accounts[topic], event, resent=True)
        self._unsubscribe = [
            services.bus.subscribe(topic, functools.partial(self._on_order_topic, account),
                                   group=f"gateway.order_entry.{account}")
            for account, topic in topics.items()]

    async def stop_taking(self) -> None:
        """Refuse new orders from now on, and wait for the ones handed to the OMS to be taken."""
        self._stopping = True
        while self._submitting:
            await asyncio.gather(*self._submitting, return_exceptions=True)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.market_data.close()

    # ---------------------------------------------------------------- session callbacks
    def accept_logon(self, message: Message, session_id: SessionID) -> None:
        if not self.services.ready.is_set() or self._stopping:
            raise RejectLogon("the hub is not taking orders now")
        binding = self._bindings[session_id]
        if binding.user is not None:
            accounts = [binding.default_account, *sorted(binding.accounts - {binding.default_account})]
            allowed, refusal = self._permitted(binding, accounts, Action.ACCOUNTS_TRADE)
            if not allowed:
                self.users.logon(refusal, session_id.target_comp_id, binding.user)

    async def on_logon(self, session_id: SessionID) -> None:
        log.info("gateway.order_entry.logon", session=str(session_id),
                 accounts=sorted(self._bindings[session_id].accounts))

    async def on_logout(self, session_id: SessionID) -> None:
        self.market_data.end_session(session_id)
        log.info("gateway.order_entry.logout", session=str(session_id))

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        handler = {b"D": self._new_order, b"F": self._cancel, b"G": self._replace, b"H": self._status,
                   b"V": self._market_data}.get(message.msg_type)
        if handler is None:
            raise UnsupportedMessageType()
        if message.msg_type in SYMBOL_REQUIRED and not message.get(55):
            # FIX 4.4 lets an Instrument name itself by SecurityID instead; the hub names instruments by Symbol, and
            # a report with an empty Symbol(55) would be malformed FIX that the client's engine drops.
            raise BusinessReject(BusinessRejectReason.CONDITIONALLY_REQUIRED_FIELD_MISSING, 55,
                                 "Symbol(55) is required: the hub names instruments by Symbol")
        if message.msg_type != b"D" and self._submitting:
            # New orders of the session were handed to the OMS after this request's order may have been: they all
            # take their first step (the OMS indexes each before its first wait) before this request looks for one.
            await asyncio.sleep(0)
        await handler(message, session_id, self._bindings[session_id])

    async def settled(self, session_id: SessionID) -> None:
        """The new orders of the read are journaled before the session stores their MsgSeqNums: a crash in
        between leaves them to the client's resend (PossDupFlag=Y), never lost without an answer."""
        if self._submitting:
            await asyncio.sleep(0)   # each new order's first step (accept, check, journal) runs before it waits
            await self.oms.transactions.durable()

    # ---------------------------------------------------------------- requests
    async def _new_order(self, message: Message, session_id: SessionID, binding: ClientBinding) -> None:
        received_at = self.clock()
        cl_ord_id = message.get_str(11) or ""
        given = message.get_str(1)
        account = given   # the account the order is for, once known: every reject names it
        try:
            account = _account(given, binding)
            refusal = self._refusal(binding, account, Action.ACCOUNTS_TRADE)
            if refusal is not None:
                raise _Refused(ORD_REJ_REASON["unknown_account"], refusal.reason)
            if not self.services.ready.is_set() or self._stopping:
                raise _Refused(99, "the hub is not taking orders now")
            known = self.oms.find(account, cl_ord_id)
            if known is not None and message.get(43) == b"Y":   # sent again after a crash: it is this order
                self.outbox.put(session_id, b"8", self._status_report(known, account, known.cl_ord_id, []))
                return
            if (account, cl_ord_id) in self._by_client:   # a ClOrdID of a cancel or replace: the OMS never saw it
                raise _Refused(ORD_REJ_REASON["duplicate_cl_ord_id"], f"ClOrdID {cl_ord_id} was already used")
            request = dataclasses.replace(_order_request(message, cl_ord_id, account), received_at=received_at)
            log.info("gateway.order_entry.order_received", session=str(session_id), cl_ord_id=cl_ord_id,
                     account=account, symbol=request.symbol, side=request.side.name,
                     ord_type=request.ord_type.name, quantity=str(request.quantity))
        except _Refused as refusal:
            self._refuse(message, session_id, cl_ord_id, account, refusal)
            return
        # The OMS answers through the order's events once it is on disk; the session's next message does not wait
        # for this order's commit, so one connection's orders share the journal's batches.
        task = asyncio.get_running_loop().create_task(self._submit(message, session_id, request))
        self._submitting.add(task)
        task.add_done_callback(self._submitting.discard)

    async def _submit(self, message: Message, session_id: SessionID, request: NewOrder) -> None:
        account, cl_ord_id = request.account_id, request.cl_ord_id
        try:
            order = await self.oms.submit(request)
        except KeyError:  # bound, but gone from the directory since the gateway started
            self._refuse(message, session_id, cl_ord_id, account,
                         _Refused(ORD_REJ_REASON["unknown_account"], "unknown account"))
            return
        except Exception:   # the order may be journaled: its events, not a guess here, tell the client
            log.exception("gateway.order_entry.submit_failed", session=str(session_id), cl_ord_id=cl_ord_id)
            return
        key = (account, cl_ord_id)
        if key not in self._by_client and self.oms.orders.get(order.order_id) is order:
            self._by_client[key] = order.order_id
            self._chains.setdefault(order.order_id, _Chain(account, cl_ord_id))

    def _refuse(self, message: Message, session_id: SessionID, cl_ord_id: str, account: str | None,
                refusal: _Refused) -> None:
        log.warning("gateway.order_entry.order_refused", session=str(session_id), cl_ord_id=cl_ord_id,
                    account=account, reason=refusal.reason, text=refusal.text)
        terms = [(tag, value) for tag in ECHOED_TERMS if (value := message.get(tag)) is not None]
        self.outbox.put(session_id, b"8", rejected_new_order(
            now=self.clock(), exec_id=self._exec_id(), cl_ord_id=cl_ord_id, account=account,
            symbol=message.get_str(55) or "", side=message.get(54) or b"", quantity=message.get_str(38) or "0",
            reason=refusal.reason, text=refusal.text, terms=terms))

    async def _cancel(self, message: Message, session_id: SessionID, binding: ClientBinding) -> None:
        await self._amend(message, session_id, binding, "cancel")

    async def _replace(self, message: Message, session_id: SessionID, binding: ClientBinding) -> None:
        await self._amend(message, session_id, binding, "replace")

    async def _amend(self, message: Message, session_id: SessionID, binding: ClientBinding, kind: str) -> None:
        """A cancel (F) or cancel/replace (G): refused here, refused by the OMS, or pending until its events."""
        cl_ord_id, orig = message.get_str(11) or "", message.get_str(41) or ""
        given = message.get_str(1)
        response_to = CANCEL_REQUEST if kind == "cancel" else REPLACE_REQUEST
        found: tuple[str, Order] | None = None
        mine: _Pending | None = None
        try:
            accounts, refusal = self._permitted(binding, _accounts(given, binding), Action.ACCOUNTS_TRADE)
            found = self._find(accounts, orig, message.get_str(37))
            if found is None:
                raise _Refused(CXL_REJ_REASON["unknown_order"],
                               refusal.reason if refusal and given is not None else f"no order {orig}")
            account, order = found
            if self._is_used(account, cl_ord_id):
                raise _Refused(CXL_REJ_REASON["duplicate_cl_ord_id"], f"ClOrdID {cl_ord_id} was already used")
            chain = self._chains.setdefault(order.order_id, _Chain(account, order.cl_ord_id))
            if chain.pending is not None:
                raise _Refused(CXL_REJ_REASON["cancel_pending"],
                               f"a {chain.pending.kind} of order {chain.current} is already pending")
            mine = chain.pending = _Pending(kind, cl_ord_id, orig)
            log.info(f"gateway.order_entry.{kind}_received", session=str(session_id), order_id=order.order_id,
                     cl_ord_id=cl_ord_id, orig_cl_ord_id=orig)
            if kind == "cancel":
                rejection = await self.oms.cancel(account, order.cl_ord_id)
            else:
                quantity, price, stop_price = _replacement(message, order)
                rejection = await self.oms.replace(account, order.cl_ord_id, quantity, price, stop_price)
            if rejection is not None:
                reason = CXL_REJ_REASON.get(rejection.code, _TOO_LATE if not order.is_open else 99)
                raise _Refused(reason, f"{rejection.code}: {rejection.reason}")
            self._by_client[(account, cl_ord_id)] = order.order_id
        except _Refused as refusal:
            if mine is not None and found is not None and self._chains[found[1].order_id].pending is mine:
                self._chains[found[1].order_id].pending = None   # refused: nothing is pending any more
            log.warning(f"gateway.order_entry.{kind}_refused", session=str(session_id), cl_ord_id=cl_ord_id,
                        orig_cl_ord_id=orig, reason=refusal.reason, text=refusal.text)
            order_id, status = (found[1].order_id, found[1].status.value) if found else (NO_ORDER_ID, "8")
            self.outbox.put(session_id, b"9", order_cancel_reject(
                now=self.clock(), order_id=order_id, cl_ord_id=cl_ord_id, orig_cl_ord_id=orig, status=status, account=given,
                response_to=response_to, reason=refusal.reason, text=refusal.text))

    async def _status(self, message: Message, session_id: SessionID, binding: ClientBinding) -> None:
        cl_ord_id, request_id = message.get_str(11) or "", message.get_str(790)
        extra: Fields = [(790, request_id)] if request_id else []
        given = message.get_str(1)
        accounts, refusal = self._permitted(binding, _accounts(given, binding), Action.ACCOUNTS_READ)
        found = self._find(accounts, cl_ord_id, message.get_str(37))
        if found is None:
            fields: Fields = [(37, NO_ORDER_ID), (11, cl_ord_id), (17, "0"), (150, "I"), (39, "8"), (103, 5),
                      (55, message.get_str(55) or ""), (54, message.get(54) or b""), (151, "0"), (14, "0"),
                      (6, "0"), (60, transact_time(self.clock())), *extra,
                      (58, refusal.reason if refusal and given is not None else f"unknown order {cl_ord_id}")]
        else:
            account, order = found
            chain = self._chains.get(order.order_id)
            fields = self._status_report(order, account, chain.current if chain else order.cl_ord_id, extra)
        log.info("gateway.order_entry.status_sent", session=str(session_id), cl_ord_id=cl_ord_id,
                 found=found is not None)
        self.outbox.put(session_id, b"8", fields)

    def _status_report(self, order: Order, account: str, cl_ord_id: str, extra: Fields) -> Fields:
        # ExecID is 0 on an order status report (FIX 4.4, ExecType=I)
        return execution_report(_snapshot(order), account, now=self.clock(), exec_id="0", exec_type="I",
                                cl_ord_id=cl_ord_id, expire_time=_expire_time(order), extra=extra)

    async def _market_data(self, message: Message, session_id: SessionID, binding: ClientBinding) -> None:
        account = self.services.directory.accounts[binding.default_account]
        self.market_data.request(message, session_id, account.tenant_id, account.group_id)

    # ---------------------------------------------------------------- order events -> ExecutionReports
    def _on_order_topic(self, account: str, topic: str, event: dict[str, Any]) -> None:
        self._on_order_event(account, event)

    def _on_order_event(self, account: str, event: dict[str, Any], *, resent: bool = False) -> None:
        sessions = [s for s in self._by_account.get(account, [])
                    if self._refusal(self._bindings[s], account, Action.ACCOUNTS_READ) is None
                    and self.resume.wanted(s, event)]
        if not sessions:
            return   # every session bound to the account has it already, or its user may not read it
        what, order_id = event["event"], event["order_id"]
        chain = self._chains.get(order_id)
        pending = chain.pending if chain is not None else None
        status = OrdStatus[event["status"]]
        ended = what == "cancel_replace_rejected" or (status in TERMINAL and what != "fill")
        if chain is not None and pending is not None and ended and what not in _ANSWERS[pending.kind]:
            chain.pending = None   # refused by the venue, or the order ended another way: too late
            reason = 99 if what == "cancel_replace_rejected" else _TOO_LATE
            fields = order_cancel_reject(
                now=self.clock(), order_id=order_id, cl_ord_id=pending.cl_ord_id, orig_cl_ord_id=pending.orig_cl_ord_id,
                status=status.value, account=account, reason=reason, text=event_text(event) or what,
                response_to=CANCEL_REQUEST if pending.kind == "cancel" else REPLACE_REQUEST)
            self._send(sessions, b"9", fields, event, what, resent)
            pending = None
        exec_type = EXEC_TYPE.get(what)
        if exec_type is None:  # cancel_failed is answered by the OrderCancelReject of the request
            return
        if exec_type == "0":
            exec_type = "D" if order_id in self._acknowledged else "0"   # a triggered stop is restated, not new
            self._acknowledged.add(order_id)
        if status in TERMINAL:
            self._acknowledged.discard(order_id)
        cl_ord_id, orig = (chain.current if chain is not None else event["cl_ord_id"]), None
        if chain is not None and pending is not None and what in _ANSWERS[pending.kind]:
            cl_ord_id, orig = pending.cl_ord_id, pending.orig_cl_ord_id
            if what in ("canceled", "replaced"):
                chain.current, chain.pending = pending.cl_ord_id, None
        # A numbered event's ExecID is its number, the same when it is sent again after a restart.
        exec_id = event["exec_id"] if what == "fill" else f"EV{event['seq']}" if "seq" in event else self._exec_id()
        fields = execution_report(event, account, now=self.clock(), exec_id=exec_id, exec_type=exec_type, cl_ord_id=cl_ord_id,
                                  orig_cl_ord_id=orig, expire_time=self._expire_time(order_id, event))
        self._send(sessions, b"8", fields, event, what, resent)

    def _send(self, sessions: list[SessionID], msg_type: bytes, fields: list[Any], event: dict[str, Any],
              what: str, resent: bool) -> None:
        for session_id in sessions:
            self.outbox.put(session_id, msg_type, fields, header=POSS_RESEND if resent else (),
                            taken=self.resume.taken(session_id, event))
        log.debug("gateway.order_entry.report", msg_type=msg_type.decode(), what=what, order_id=event["order_id"],
                  status=event["status"], sessions=[str(s) for s in sessions], resent=resent)

    # ---------------------------------------------------------------- lookups
    def _refusal(self, binding: ClientBinding, account: str, action: Action) -> Rejection | None:
        """Why the binding's user may not do ``action`` on ``account`` (None: it may, or the binding has no user)."""
        return None if binding.user is None else self.users.account(binding.user, action, account)

    def _permitted(self, binding: ClientBinding, accounts: list[str],
                   action: Action) -> tuple[list[str], Rejection | None]:
        """Those of ``accounts`` the binding's user may do ``action`` on, and why the first refused one is not (what
        a request naming that one account is told)."""
        allowed: list[str] = []
        first: Rejection | None = None
        for account in accounts:
            refusal = self._refusal(binding, account, action)
            if refusal is None:
                allowed.append(account)
            elif first is None:
                first = refusal
        return allowed, first

    def _find(self, accounts: list[str], cl_ord_id: str, order_id: str | None) -> tuple[str, Order] | None:
        """The order a request names, by any ClOrdID of its chain (or by OrderID), on one of ``accounts``."""
        for account in accounts:
            known = self._by_client.get((account, cl_ord_id))
            order = self.oms.orders.get(known) if known else self.oms.find(account, cl_ord_id)
            if order is None and order_id:
                candidate = self.oms.orders.get(order_id)
                order = candidate if candidate is not None and candidate.account_id == account else None
            if order is not None:
                return account, order
        return None

    def _is_used(self, account: str, cl_ord_id: str) -> bool:
        return (account, cl_ord_id) in self._by_client or self.oms.find(account, cl_ord_id) is not None

    def _exec_id(self) -> str:
        return f"{self._exec_prefix}{next(self._exec_ids)}"

    def _expire_time(self, order_id: str, event: dict[str, Any]) -> bytes | None:
        order = self.oms.orders.get(order_id)
        return _expire_time(order) if order is not None and event["time_in_force"] == "GTD" else None


def _account(given: str | None, binding: ClientBinding) -> str:
    if given is None:
        return binding.default_account
    if given not in binding.accounts:
        raise _Refused(ORD_REJ_REASON["unknown_account"], "unknown account")
    return given


def _accounts(given: str | None, binding: ClientBinding) -> list[str]:
    """Where to look for an order a request names: its Account(1), else every bound account, the default first."""
    if given is not None:
        return [given] if given in binding.accounts else []
    return [binding.default_account, *sorted(binding.accounts - {binding.default_account})]


def _order_request(message: Message, cl_ord_id: str, account: str) -> NewOrder:
    side, ord_type = message.get_str(54) or "", message.get_str(40) or ""
    time_in_force = message.get_str(59) or TimeInForce.DAY.value   # FIX: no TimeInForce means a day order
    if side not in {s.value for s in Side}:
        raise _Refused(ORD_REJ_REASON["unsupported"], f"Side {side} is not offered (1 buy, 2 sell)")
    if ord_type not in {t.value for t in ORDER_TYPES}:
        raise _Refused(ORD_REJ_REASON["unsupported"], f"OrdType {ord_type} is not offered (1, 2, 3, 4, J)")
    if time_in_force not in {t.value for t in TimeInForce}:
        raise _Refused(ORD_REJ_REASON["unsupported"], f"TimeInForce {time_in_force} is not offered (0, 1, 3, 4, 6)")
    quantity = _decimal(message, 38)
    if quantity is None:
        raise _Refused(ORD_REJ_REASON["bad_quantity"], "OrderQty(38) is required")
    expire = message.get(126)
    try:
        expire_at = None if expire is None else dt.datetime.fromtimestamp(parse_timestamp(expire), dt.UTC)
    except ValueError:
        raise _Refused(99, "ExpireTime(126) is not a UTCTimestamp") from None
    return NewOrder(cl_ord_id, account, message.get_str(55) or "", Side(side), OrdType(ord_type), quantity,
                    price=_decimal(message, 44), stop_price=_decimal(message, 99),
                    time_in_force=TimeInForce(time_in_force), expire_at=expire_at)


def _replacement(message: Message, order: Order) -> tuple[Decimal, Decimal | None, Decimal | None]:
    """What a cancel/replace changes: OrderQty, Price and, while the order is held, StopPx."""
    if message.get_str(54) != order.side.value or message.get_str(40) != order.ord_type.value:
        raise _Refused(99, "only OrderQty, Price and StopPx can be amended; Side and OrdType stay as they are")
    quantity = _decimal(message, 38)
    if quantity is None:
        raise _Refused(99, "OrderQty(38) is required")
    price, stop_price = _decimal(message, 44), _decimal(message, 99)
    return quantity, price if price is not None else order.price, stop_price


def _decimal(message: Message, tag: int) -> Decimal | None:
    raw = message.get(tag)
    if raw is None:
        return None
    try:
        value = Decimal(raw.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        raise _Refused(99, f"tag {tag} is not a number") from None
    if not value.is_finite():
        raise _Refused(99, f"tag {tag} is not a number")
    return value


def _expire_time(order: Order) -> bytes | None:
    """ExpireTime(126) as a UTCTimestamp in milliseconds, written from the fields (a float would round down)."""
    if order.expire_at is None:
        return None
    at = order.expire_at.astimezone(dt.UTC)
    return f"{at:%Y%m%d-%H:%M:%S}.{at.microsecond // 1000:03d}".encode("ascii")


def _snapshot(order: Order) -> dict[str, Any]:
    """The order as an order event shows it, for an OrderStatusRequest."""
    return {"order_id": order.order_id, "cl_ord_id": order.cl_ord_id, "status": order.status.name,
            "event": "status", "detail": order.rejection.reason if order.rejection else None,
            "code": order.rejection.code if order.rejection else None, "filled": str(order.filled),
            "average_price": str(order.average_price), "symbol": order.symbol, "side": order.side.name,
            "ord_type": order.ord_type.name, "time_in_force": order.time_in_force.name,
            "quantity": str(order.quantity), "leaves": str(order.leaves),
            "price": None if order.price is None else str(order.price),
            "stop_price": None if order.stop_price is None else str(order.stop_price)}
