"""A QuickFIX (C++ engine, Python binding) counterparty in its own process, for the interop tests.

    python quickfix_peer.py initiator --port P --store DIR --orders N     # sends N orders, waits for N reports
    python quickfix_peer.py acceptor --port P --store DIR                 # answers every order until stdin closes

It reports on stdout, one JSON object per line: {"event": "logon"}, then {"event": "done", ...} with what it saw.
"""
from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time

import quickfix as fix

BEGIN, HUB, PEER = "FIX.4.4", "HUB", "QFPEER"


def report(**event: object) -> None:
    print(json.dumps(event), flush=True)


def settings_text(role: str, port: int, store: str, dictionary: str) -> str:
    common = (f"[DEFAULT]\nConnectionType={role}\nFileStorePath={store}\nStartTime=00:00:00\nEndTime=00:00:00\n"
              f"UseDataDictionary=Y\nDataDictionary={dictionary}\nHeartBtInt=5\nReconnectInterval=1\n"
              f"ValidateUserDefinedFields=N\nFileLogPath={store}/log\n\n[SESSION]\nBeginString={BEGIN}\nSenderCompID={PEER}\n"
              f"TargetCompID={HUB}\n")
    if role == "initiator":
        return common + f"SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
    return common + f"SocketAcceptPort={port}\nSocketReuseAddress=Y\n"


class Peer(fix.Application):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.logons = 0
        self.seen: set[str] = set()
        self.poss_dup = 0
        self.session_id: fix.SessionID | None = None
        self.answers: queue.Queue[fix.Message] = queue.Queue()

    def onCreate(self, session_id: fix.SessionID) -> None:  # noqa: N802 (QuickFIX's names)
        self.session_id = fix.SessionID(session_id.getBeginString().getValue(),
                                        session_id.getSenderCompID().getValue(),
                                        session_id.getTargetCompID().getValue())

    def onLogon(self, session_id: fix.SessionID) -> None:  # noqa: N802
        with self.lock:
            self.logons += 1
        report(event="logon", count=self.logons)

    def onLogout(self, session_id: fix.SessionID) -> None:  # noqa: N802
        report(event="logout")

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        pass

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        pass

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        pass

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        header = message.getHeader()
        poss_dup = header.isSetField(43) and header.getField(43) == "Y"
        msg_type = header.getField(35)
        with self.lock:
            self.poss_dup += poss_dup
            self.seen.add(message.getField(11))
        if msg_type == "D":
            # Answered after the callback returns: the binding can crash when sendToTarget runs inside fromApp.
            self.answers.put(execution_report(message))

    def answer_pending(self) -> None:
        while not self.answers.empty():
            fix.Session.sendToTarget(self.answers.get(), self.session_id)


def new_order(cl_ord_id: str) -> fix.Message:
    message = fix.Message()
    message.getHeader().setField(fix.MsgType(fix.MsgType_NewOrderSingle))
    message.setField(fix.ClOrdID(cl_ord_id))
    message.setField(fix.Side(fix.Side_BUY))
    message.setField(fix.Symbol("EUR/USD"))
    message.setField(fix.OrderQty(100000))
    message.setField(fix.OrdType(fix.OrdType_MARKET))
    message.setField(fix.TransactTime())
    return message


def execution_report(order: fix.Message) -> fix.Message:
    cl_ord_id = order.getField(11)
    message = fix.Message()
    message.getHeader().setField(fix.MsgType(fix.MsgType_ExecutionReport))
    for field in (fix.OrderID("O-" + cl_ord_id), fix.ExecID("E-" + cl_ord_id), fix.ExecType(fix.ExecType_TRADE),
                  fix.OrdStatus(fix.OrdStatus_FILLED), fix.Side(fix.Side_BUY), fix.Symbol("EUR/USD"),
                  fix.LeavesQty(0), fix.CumQty(100000), fix.AvgPx(1.0834), fix.ClOrdID(cl_ord_id)):
        message.setField(field)
    return message


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("role", choices=["initiator", "acceptor"])
    options.add_argument("--port", type=int, required=True)
    options.add_argument("--store", required=True)
    options.add_argument("--dictionary", required=True)
    options.add_argument("--orders", type=int, default=1000)
    options.add_argument("--timeout", type=float, default=60)
    args = options.parse_args()
    config = f"{args.store}/peer.cfg"
    with open(config, "w") as out:
        out.write(settings_text(args.role, args.port, args.store, args.dictionary))
    settings = fix.SessionSettings(config)
    peer = Peer()
    engine_type = fix.SocketInitiator if args.role == "initiator" else fix.SocketAcceptor
    engine = engine_type(peer, fix.FileStoreFactory(settings), settings, fix.FileLogFactory(settings))
    # Single-threaded: QuickFIX's socket work, its callbacks and our sends all run here, between polls. The
    # binding crashes now and then when sendToTarget races QuickFIX's own thread (engine.start()) mid-resend.
    deadline = time.monotonic() + args.timeout
    if args.role == "initiator":
        while peer.logons == 0 and time.monotonic() < deadline:
            engine.poll()
        for number in range(args.orders):
            fix.Session.sendToTarget(new_order(f"QF-{number}"), peer.session_id)
            if number % 50 == 49:
                engine.poll()
        while len(peer.seen) < args.orders and time.monotonic() < deadline:
            engine.poll()
    else:
        stdin_closed = threading.Event()  # the test closes stdin when it is done
        threading.Thread(target=lambda: (sys.stdin.read(), stdin_closed.set()), daemon=True).start()
        while not stdin_closed.is_set() or not peer.answers.empty():
            engine.poll()
            peer.answer_pending()
    engine.stop()
    report(event="done", unique=len(peer.seen), poss_dup=peer.poss_dup, logons=peer.logons)


if __name__ == "__main__":
    main()
