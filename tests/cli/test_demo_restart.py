"""``dynamictech demo`` stopped in the middle of a burst of orders - by Ctrl-C (SIGINT) and by kill -9, twice each -
and started again on the same --data (and --database), driven as its users drive it: a FIX client logged on as ALICE
and as the broker's drop copy DEMOBROKER-DC (our own initiator, ``fix_sessions``, with a persistent store), and the
web API as alice.

What a user would notice is checked after the restarts, on SQLite and on PostgreSQL:
  - trading resumes on FX (EUR/USD) and crypto (BTC/USDT) within seconds of each start;
  - Ctrl-C stops the demo cleanly (exit status 0);
  - every order acknowledged (FIX ExecType 0 or a fill, or REST 201) is in the order history exactly once;
  - every fill the FIX client got has exactly one execution row; no execution is booked twice; the REST fills are
    the execution rows;
  - REST positions are the positions table (quantity and average price), and the positions are the sum of the
    executions;
  - REST and FIX agree on each order's final status and filled quantity (OrderStatusRequest for the orders whose
    final report did not come);
  - no ExecID collision (IntegrityError and the like) in the demo's logs, no ExecID reused on the FIX session;
  - the drop copy got every fill the trader got (after the restarts too, delivered late if need be), and every
    execution booked; the trader was told (ExecutionReport) of every execution booked on its account;
  - the demo's FIX messages pass the client's validation (no session-level Reject either way);
  - every NewOrderSingle the gateway read is known after the restart (its number is stored once it is journaled,
    so one read just before a kill -9 comes back with the client's resend).
Every failed invariant is collected with its evidence and reported together at the end; ``notes`` (printed, and in
``summary.json`` under the test's tmp_path) hold the timings and the orders that were never taken.
"""
from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from dynamictech.demo import instruments
from tests.cli.demo_client import (
    ACCOUNT,
    Demo,
    DemoRun,
    FixClient,
    Received,
    Rest,
    log_lines,
    new_order,
    status_request,
)
from tests.net import free_port
from web.api.numbers import price

D = Decimal
STOPS = (signal.SIGINT, signal.SIGKILL, signal.SIGINT, signal.SIGKILL)   # a restart after each
BURST = 40                                # FIX orders a cycle
SIGNAL_AT = 20                            # the stop goes out as the 21st FIX order of the burst does
REST_AT = (4, 13, 19, 23, 31)             # burst positions where a REST order goes out too
PAUSE = 0.01                              # between FIX orders of a burst
RESUME_SECONDS = 10.0                     # a fresh market order fills within this after the logon
SETTLE_SECONDS = 15.0
# Small quantities, buys larger than sells, so the positions move away from zero and a double booking shows.
SIZES = {"EUR/USD": (D("0.02"), D("0.01")), "BTC/USDT": (D("0.002"), D("0.001"))}
TERMINAL = {"2", "4", "8", "C"}           # OrdStatus filled, canceled, rejected, expired
COLLISIONS = (r"IntegrityError", r"UniqueViolation", r"UNIQUE constraint failed", r"duplicate key value")


@dataclass
class Sent:
    cl_ord_id: str
    symbol: str
    side: str          # "1" buy, "2" sell
    quantity: Decimal
    channel: str       # "fix" or "rest"
    run: int           # the demo run it was sent to
    after_signal: bool = False
    rest_status: int | None = None
    rest_answer: Any = None


def shape(number: int) -> tuple[str, str, Decimal]:
    """Alternating EUR/USD and BTC/USDT, each alternating buy and sell."""
    symbol = ("EUR/USD", "BTC/USDT")[number % 2]
    side = "1" if (number // 2) % 2 == 0 else "2"
    return symbol, side, SIZES[symbol][0 if side == "1" else 1]


class Scenario:
    def __init__(self, tmp: Path, database: str | None) -> None:
        web, fix, drop = free_port(), free_port(), free_port()
        self.data = tmp / "data"
        self.demo = Demo(self.data, database, web, fix, drop)
        self.fix = FixClient(fix, drop, tmp / "client-fix")
        self.rest = Rest(web)
        self.db_url = database or f"sqlite:///{self.data / 'demo.db'}"
        self.sent: dict[str, Sent] = {}
        self.findings: list[str] = []
        self.notes: list[str] = []

    def fail(self, invariant: str, evidence: str) -> None:
        self.findings.append(f"[{invariant}] {evidence}")

    # ---------------------------------------------------------------- what the trader's session heard
    def reports(self, cl_ord_id: str) -> list[Received]:
        return [m for m in self.fix.trader() if m.message.msg_type == b"8" and m.get(11) == cl_ord_id]

    def last_report(self, cl_ord_id: str) -> Received | None:
        answers = [m for m in self.reports(cl_ord_id) if m.get(150) != "I"]
        return answers[-1] if answers else None

    def acknowledged(self, order: Sent) -> bool:
        if order.channel == "rest" and order.rest_status == 201:
            return True
        return any(m.get(150) in ("0", "F") for m in self.reports(order.cl_ord_id))

    def has_final(self, cl_ord_id: str) -> bool:
        last = self.last_report(cl_ord_id)
        return last is not None and last.get(39) in TERMINAL

    def trader_fills(self) -> dict[str, list[Received]]:
        fills: dict[str, list[Received]] = defaultdict(list)
        for m in self.fix.trader():
            if m.message.msg_type == b"8" and m.get(150) == "F":
                fills[m[17]].append(m)
        return fills

    def drop_copy_exec_ids(self, fresh_only: bool = False) -> Counter[str]:
        return Counter(m[17] for m in self.fix.drop_copy() if m.message.msg_type == b"8" and m.get(150) == "F"
                       and not (fresh_only and m.poss_dup))

    # ---------------------------------------------------------------- the user's actions
    async def start(self) -> DemoRun:
        logons = min(self.fix.recorder.logons[n] for n in ("ALICE", "DEMOBROKER-DC"))
        run = await self.demo.start()
        self.notes.append(f"run {run.number}: banner after {run.ready - run.launched:.1f}s")   # type: ignore[operator]
        await self.fix.wait_logged_on(logons + 1)
        self.notes.append(f"run {run.number}: FIX logons after {time.monotonic() - run.launched:.1f}s")
        await self.rest.login()
        await self.trading_resumes(run)
        return run

    async def trading_resumes(self, run: DemoRun) -> None:
        began = time.monotonic()
        orders = {symbol: f"R{run.number}-RESUME-{symbol.replace('/', '')}" for symbol in SIZES}
        for symbol, cl_ord_id in orders.items():
            self.sent[cl_ord_id] = Sent(cl_ord_id, symbol, "1", SIZES[symbol][1], "fix", run.number)
            await self.fix.send(b"D", new_order(cl_ord_id, symbol, "1", SIZES[symbol][1]))
        deadline = began + RESUME_SECONDS
        while time.monotonic() < deadline and not all(self._filled(c) for c in orders.values()):
            await asyncio.sleep(0.02)
        for symbol, cl_ord_id in orders.items():
            fill = self._filled(cl_ord_id)
            if fill is None:
                last = self.last_report(cl_ord_id)
                self.fail("trading resumes", f"run {run.number}: a {symbol} market order {cl_ord_id} did not fill "
                          f"within {RESUME_SECONDS}s of the FIX logon; last report: "
                          f"{last.message if last else None}")
            else:
                self.notes.append(f"run {run.number}: {symbol} filled {fill.at - began:.2f}s after the order, "
                                  f"{fill.at - run.launched:.1f}s after the launch")

    def _filled(self, cl_ord_id: str) -> Received | None:
        return next((m for m in self.reports(cl_ord_id) if m.get(150) == "F" and m.get(39) == "2"), None)

    async def rest_order(self, order: Sent) -> None:
        order.rest_status, order.rest_answer = await self.rest.place({
            "symbol": order.symbol, "side": "buy" if order.side == "1" else "sell", "type": "market",
            "quantity": str(order.quantity), "cl_ord_id": order.cl_ord_id})

    async def burst_and_stop(self, cycle: int, how: signal.Signals) -> None:
        run = self.demo.current
        rest_tasks: list[asyncio.Task[None]] = []
        stopping: asyncio.Task[int] | None = None
        for number in range(BURST):
            if number == SIGNAL_AT:
                stopping = asyncio.create_task(self.demo.stop(how))
            symbol, side, quantity = shape(number)
            if number in REST_AT:
                rest = Sent(f"C{cycle}-R{number:02d}", *shape(number + 1), channel="rest", run=run.number,
                            after_signal=stopping is not None)
                self.sent[rest.cl_ord_id] = rest
                rest_tasks.append(asyncio.create_task(self.rest_order(rest)))
            order = Sent(f"C{cycle}-F{number:02d}", symbol, side, quantity, "fix", run.number,
                         after_signal=stopping is not None)
            self.sent[order.cl_ord_id] = order
            await self.fix.send(b"D", new_order(order.cl_ord_id, symbol, side, quantity))
            await asyncio.sleep(PAUSE)
        assert stopping is not None
        code = await stopping
        await asyncio.gather(*rest_tasks)
        self.notes.append(f"run {run.number}: {run.stopped_by} -> exit {code} after {run.stop_seconds:.1f}s")
        if how is signal.SIGINT and code != 0:
            self.fail("Ctrl-C stops cleanly", f"run {run.number}: SIGINT -> exit status {code} after "
                      f"{run.stop_seconds:.1f}s ({run.stopped_by}); last log lines:\n"
                      + "\n".join(run.log_text().splitlines()[-5:]))

    async def settle(self) -> None:
        """Until every acknowledged order has its final report and the drop copy has every fill (or time is up)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            acked_open = [o for o in self.sent.values() if self.acknowledged(o) and not self.has_final(o.cl_ord_id)]
            missing_copies = set(self.trader_fills()) - set(self.drop_copy_exec_ids())
            if not acked_open and not missing_copies:
                return
            await asyncio.sleep(0.1)

    async def ask_status(self) -> dict[str, Received]:
        """OrderStatusRequest for every order whose final report did not come; their answers by ClOrdID."""
        asked = [o for o in self.sent.values() if not self.has_final(o.cl_ord_id)]
        for order in asked:
            await self.fix.send(b"H", status_request(order.cl_ord_id, order.symbol, order.side))

        def answers() -> dict[str, Received]:
            return {m[11]: m for m in self.fix.trader()
                    if m.message.msg_type == b"8" and m.get(150) == "I" and (m.get(790) or "").startswith("status-")}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(o.cl_ord_id in answers() for o in asked):
            await asyncio.sleep(0.05)
        self.notes.append(f"OrderStatusRequest for {len(asked)} orders without a final report: "
                          f"{sorted(o.cl_ord_id for o in asked)}")
        got = answers()
        for order in asked:
            if order.cl_ord_id not in got:
                self.fail("FIX and REST agree", f"no answer to the OrderStatusRequest for {order.cl_ord_id}")
        return got

    # ---------------------------------------------------------------- the invariants
    async def check(self) -> None:
        await self.settle()
        statuses = await self.ask_status()
        orders = await self.rest.get(f"/api/accounts/{ACCOUNT}/orders?state=all")
        rest_fills = await self.rest.get(f"/api/accounts/{ACCOUNT}/fills?limit=5000")
        rest_positions = await self.rest.get(f"/api/accounts/{ACCOUNT}/positions")
        engine = sqlalchemy.create_engine(self.db_url)
        try:
            with engine.connect() as db:
                executions = [dict(r._mapping) for r in db.execute(sqlalchemy.text(
                    "SELECT exec_id, order_id, account_id, symbol, side, quantity, price FROM executions"))]
                positions = [dict(r._mapping) for r in db.execute(sqlalchemy.text(
                    "SELECT position_id, account_id, symbol, quantity, average_price FROM positions"))]
                db_orders = [dict(r._mapping) for r in db.execute(sqlalchemy.text(
                    "SELECT order_id, cl_ord_id, account_id, status, quantity, filled FROM orders"))]
        finally:
            engine.dispose()
        mine = [e for e in executions if e["account_id"] == ACCOUNT]
        self.notes.append(f"sent {len(self.sent)} orders ({sum(o.channel == 'rest' for o in self.sent.values())} "
                          f"over REST); REST history {len(orders)} orders; {len(mine)} executions; trader got "
                          f"{len(self.trader_fills())} fills; drop copy {sum(self.drop_copy_exec_ids().values())}")

        for order in self.sent.values():
            if order.cl_ord_id not in {o["cl_ord_id"] for o in orders}:
                last = self.last_report(order.cl_ord_id) or statuses.get(order.cl_ord_id)
                self.notes.append(f"not in the history: {order.channel} {order.cl_ord_id} (run {order.run}, "
                                  f"after the signal: {order.after_signal}, REST {order.rest_status} "
                                  f"{str(order.rest_answer)[:120] if order.channel == 'rest' else ''}); FIX says "
                                  f"{None if last is None else (last.get(150), last.get(39), last.get(37), last.get(58))}")
        for cl_ord_id, answer in sorted(statuses.items()):
            if answer.get(37) == "NONE":
                seen = [run.number for run in self.demo.runs
                        if log_lines(run.log_text(), rf'"cl_ord_id":"{re.escape(cl_ord_id)}".*order_received')]
                if seen:   # its MsgSeqNum is stored only once it is journaled: else the resend brings it back
                    self.fail("every FIX order read is answered", f"{cl_ord_id} was received by the gateway in "
                              f"run(s) {seen} (stopped by {[self.demo.runs[n - 1].stopped_by for n in seen]}), got "
                              f"no report, and is unknown after the restart")
        for cl_ord_id in sorted(statuses):
            answer = statuses[cl_ord_id]
            self.notes.append(f"status of {cl_ord_id}: OrdStatus {answer.get(39)} CumQty {answer.get(14)} "
                              f"OrderID {answer.get(37)} {answer.get(58) or ''}")

        # every acknowledged order is in the history exactly once
        by_cl = Counter(o["cl_ord_id"] for o in orders)
        for order in self.sent.values():
            if self.acknowledged(order) and by_cl[order.cl_ord_id] != 1:
                self.fail("acked order in history once", f"{order.channel} order {order.cl_ord_id} (run "
                          f"{order.run}) was acknowledged but is {by_cl[order.cl_ord_id]} times in "
                          f"GET orders?state=all")
        for cl_ord_id, count in by_cl.items():
            if count > 1:
                self.fail("acked order in history once", f"{cl_ord_id} is {count} times in the history: "
                          f"{[o for o in orders if o['cl_ord_id'] == cl_ord_id]}")

        # every fill the trader got is one execution row; nothing booked twice; REST fills are the rows
        rows = Counter(e["exec_id"] for e in executions)
        trader_fills = self.trader_fills()
        for exec_id, reports in trader_fills.items():
            if rows[exec_id] != 1:
                self.fail("fill has one execution row", f"ExecID {exec_id} (ClOrdID {reports[0].get(11)}) has "
                          f"{rows[exec_id]} rows in executions")
            fresh = [r for r in reports if not r.poss_dup]
            if len(fresh) > 1:
                self.fail("fill has one execution row", f"the trader was told of fill {exec_id} "
                          f"{len(fresh)} times without PossDupFlag/PossResend")
        by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for execution in mine:
            by_order[execution["order_id"]].append(execution)
        order_rows = {o["order_id"]: o for o in db_orders}
        for order_id, fills in by_order.items():
            total = sum(D(str(e["quantity"])) for e in fills)
            row = order_rows.get(order_id)
            if row is None or total > D(str(row["quantity"])) or total != D(str(row["filled"])):
                self.fail("no execution booked twice", f"order {order_id} ({row and row['cl_ord_id']}): "
                          f"executions {[(e['exec_id'], str(e['quantity'])) for e in fills]} sum to {total}; "
                          f"order quantity {row and row['quantity']}, filled {row and row['filled']}")
        rest_ids = Counter(f["exec_id"] for f in rest_fills)
        if set(rest_ids) != {e["exec_id"] for e in mine} or max(rest_ids.values(), default=1) > 1:
            self.fail("REST fills are the execution rows",
                      f"REST only: {sorted(set(rest_ids) - {e['exec_id'] for e in mine})}; rows only: "
                      f"{sorted({e['exec_id'] for e in mine} - set(rest_ids))}; repeated: "
                      f"{[i for i, n in rest_ids.items() if n > 1]}")

        # positions: REST = table = sum of executions; REST shows the table's exact average with the instrument's
        # digits (web/api/numbers.py)
        listed = instruments()
        table = {p["position_id"]: (p["symbol"], D(str(p["quantity"])),
                                    D(price(listed[p["symbol"]], D(str(p["average_price"]))) or "0"))
                 for p in positions if p["account_id"] == ACCOUNT and D(str(p["quantity"]))}
        shown = {p["position_id"]: (p["symbol"], D(p["quantity"]), D(p["average_price"])) for p in rest_positions}
        if {k: v[:2] for k, v in table.items()} != {k: v[:2] for k, v in shown.items()}:
            self.fail("REST positions = positions table (quantity)", f"REST {shown} vs table {table}")
        for position_id in sorted(set(table) & set(shown)):
            if table[position_id][2] != shown[position_id][2]:
                self.fail("REST positions = positions table (average price)",
                          f"{position_id}: REST average_price {shown[position_id][2]} vs table "
                          f"{table[position_id][2]} (differs by {shown[position_id][2] - table[position_id][2]})")
        net: dict[str, Decimal] = defaultdict(Decimal)
        for execution in mine:
            net[execution["symbol"]] += D(str(execution["quantity"])) * (1 if execution["side"] == "1" else -1)
        held: dict[str, Decimal] = defaultdict(Decimal)
        for symbol, quantity, _ in table.values():
            held[symbol] += quantity
        if {s: q for s, q in net.items() if q} != {s: q for s, q in held.items() if q}:
            self.fail("positions = sum of executions", f"positions {dict(held)} vs executions {dict(net)}")

        # FIX and REST agree on each order's final status and filled quantity
        by_cl_order = {o["cl_ord_id"]: o for o in orders}
        for order in self.sent.values():
            fix = self.last_report(order.cl_ord_id)
            if fix is None or fix.get(39) not in TERMINAL:
                fix = statuses.get(order.cl_ord_id, fix)
            web = by_cl_order.get(order.cl_ord_id)
            fix_view = None if fix is None else (fix.get(39), D(fix.get(14) or "0"), fix.get(37))
            web_view = None if web is None else (_STATUS[web["status"]], D(web["filled"]), web["order_id"])
            unknown_to_fix = fix_view is not None and fix_view[2] == "NONE"
            if web_view is None and (fix_view is None or unknown_to_fix):
                continue   # never taken: neither door knows it
            if fix_view is None or web_view is None or fix_view[:2] != web_view[:2]:
                self.fail("FIX and REST agree", f"{order.channel} order {order.cl_ord_id} (run {order.run}"
                          f"{', sent after the signal' if order.after_signal else ''}): FIX (OrdStatus, CumQty, "
                          f"OrderID) {fix_view} vs REST {web_view}"
                          + (f"; REST answer {order.rest_status}" if order.channel == "rest" else ""))

        # the trader was told of every booked fill, the drop copy of every one the trader got (and every booked one)
        copies = self.drop_copy_exec_ids()
        missing = sorted(set(trader_fills) - set(copies))
        if missing:
            self.fail("drop copy got every fill", f"{len(missing)} of the trader's {len(trader_fills)} fills never "
                      f"reached DEMOBROKER-DC: {missing}")
        unreported = sorted({e["exec_id"] for e in mine} - set(trader_fills))
        if unreported:
            self.fail("trader told of every booked fill", f"{len(unreported)} executions booked for {ACCOUNT} "
                      f"never came to ALICE as an ExecutionReport:\n    "
                      + "\n    ".join(self.where_booked(i) for i in unreported))
        uncopied = sorted({e["exec_id"] for e in executions} - set(copies))
        if uncopied:
            self.fail("drop copy got every booked fill", f"{len(uncopied)} executions booked never reached "
                      f"DEMOBROKER-DC: {uncopied}")
        doubled = [i for i, n in self.drop_copy_exec_ids(fresh_only=True).items() if n > 1]
        if doubled:
            self.fail("drop copy got every fill", f"copied more than once without PossDupFlag/PossResend: {doubled}")

        # ExecIDs: no collision in the logs, none reused on the trader's session
        for run in self.demo.runs:
            for line in log_lines(run.log_text(), *COLLISIONS)[:5]:
                self.fail("no ExecID collision", f"run {run.number} ({run.stopped_by or 'last'}): {line[:600]}")
        exec_ids = Counter(m[17] for m in self.fix.trader()
                           if m.message.msg_type == b"8" and m.get(150) != "I" and not m.poss_dup)
        reused = {i: n for i, n in exec_ids.items() if n > 1}
        if reused:
            self.fail("no ExecID collision", f"ExecIDs sent more than once to ALICE: {reused}")
        for who, message in self.fix.recorder.rejects_sent:
            self.fail("FIX messages valid", f"{who} rejected message {message.get_str(45)} of the demo "
                      f"({message.get_str(58)}, tag {message.get_str(371)}): "
                      f"{self.demo_sent(who, message.get_str(45) or '')}")
        for who, message in self.fix.recorder.rejects_received:
            self.fail("FIX messages valid", f"the demo rejected a message of {who}: {message}")

    def demo_sent(self, who: str, seq: str) -> str:
        """A message the demo sent on ``who``'s session, from its FIX store (the client rejected it, so only the
        demo's store has it)."""
        body = self.data / "fix" / f"FIX.4.4-DYNAMICTECH-{who}.body"
        raw = body.read_bytes() if body.exists() else b""
        found = re.search(rb"8=FIX\.4\.4\x01[^\x00]*?\x0134=" + seq.encode() + rb"\x01.*?\x0110=\d{3}\x01", raw)
        return found.group(0).replace(b"\x01", b"|").decode("latin-1") if found else "(not in its store)"

    def where_booked(self, exec_id: str) -> str:
        """Which run booked a fill, when, and when that run's doors stopped: the evidence for a fill never told."""
        order_id = exec_id.split(":")[1]
        for run in self.demo.runs:
            text = run.log_text()
            fill = log_lines(text, rf'"order_id":"{re.escape(order_id)}".*"event":"order\.fill"')
            if not fill:
                continue
            record = json.loads(fill[0])
            received = log_lines(text, rf'"cl_ord_id":"{re.escape(record["cl_ord_id"])}".*order_received')
            closing = log_lines(text, r'"text":"acceptor stopping"')
            stopped = log_lines(text, r'"event":"gateway\.stopped"')
            return (f"{exec_id} ({record['cl_ord_id']}): booked in run {run.number} (stopped by {run.stopped_by}) at "
                    f"{record['timestamp']}; order received by the gateway at "
                    f"{json.loads(received[0])['timestamp'] if received else '-'}; gateway logout sent at "
                    f"{json.loads(closing[0])['timestamp'] if closing else '-'}, gateway.stopped at "
                    f"{json.loads(stopped[0])['timestamp'] if stopped else '-'}; last log line of the run at "
                    f"{json.loads(text.splitlines()[-1]).get('timestamp') if text else '-'}")
        return f"{exec_id}: no order.fill line in any run's log"


_STATUS = {"pending_new": "A", "new": "0", "partially_filled": "1", "filled": "2", "pending_cancel": "6",
           "canceled": "4", "pending_replace": "E", "rejected": "8", "expired": "C"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_demo_stopped_mid_burst_restarts_with_every_order_fill_and_position_once(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    database = request.getfixturevalue("fresh_postgres_url") if backend == "postgresql" else None
    scenario = Scenario(tmp_path, database)
    began = time.monotonic()
    try:
        await scenario.fix.start()   # it dials until the demo listens, as a user's client does
        await scenario.start()
        for cycle, how in enumerate(STOPS, 1):
            await scenario.burst_and_stop(cycle, how)
            await scenario.start()
        await scenario.check()
    finally:
        await scenario.fix.stop()
        await scenario.rest.close()
        if scenario.demo.runs and scenario.demo.current.process.returncode is None:
            await scenario.demo.stop(signal.SIGINT)
        await scenario.demo.kill_all()
        summary = {"backend": backend, "seconds": round(time.monotonic() - began, 1), "notes": scenario.notes,
                   "findings": scenario.findings}
        (tmp_path / "summary.json").write_text(json.dumps(summary, indent=1))
        print(json.dumps(summary, indent=1))
    assert not scenario.findings, "\n".join(scenario.findings)
