"""A FIX TestRequest round trip and an order's round trip on a logged-on session, quiet and under a login flood: do
they stay within 2x of their quiet figures while the hub refuses --flood-rate logon attempts a second?

    python bench/login_flood.py [--rounds 3] [--seconds 20] [--test-rate 20] [--order-rate 5] [--flood-rate 100]
                                [--work DIR]

One ``dynamictech demo`` (``--orders-per-second 0``, every port chosen by the system, read from its banner) and one
FIX 4.4 session as ALICE for the whole run; quiet and flood phases alternate round by round, because the machine is
shared and noisy. In every phase, on that session:
- TestRequest(35=1, 112=id) at --test-rate a second, timed to the Heartbeat(35=0) naming the same 112;
- market orders EUR/USD at --order-rate a second, buying and selling in turn, timed from the NewOrderSingle written
  to the ExecutionReport that fills it (150=F, 39=2).
In a flood phase a separate process (its own event loop, so the flood does not share the measuring client's) makes
--flood-rate logon attempts a second, half of each:
- FIX Logons as BOB with a wrong Password(554), each on a fresh TCP connection, each answered by a Logout; the hub
  locks the CompID and the address after 5 failures and then refuses before any hash, so the Logout Text is counted
  by kind: "too many failed logons" (refused by lock) or "wrong Username" (refused by hash);
- web logins, POST /api/session with a wrong password for a random unknown login, answered 401 or 429.
Per phase: TestRequest RTT p50/p99, order RTT p50/p99, the rates achieved, the hub's CPU; then the medians over rounds
side by side with the ratio flood/quiet. The ALICE session is never logged on anew: after the first flood the hub has
locked 127.0.0.1, so a lost session ends the run.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.order_entry import BANNER, BEGIN, QUANTITY, Server, Session, cpu_seconds, percentile
from fix_sessions.codec import Framer, Message, encode, parse
from fix_sessions.utctime import format_timestamp

TERMINAL = re.compile(r"terminal\s+http://([\d.]+):(\d+)/")
SYMBOL = "EUR/USD"
WRONG_FIX = ("BOB", b"not-bobs-password")     # a CompID of the demo, a wrong Password(554)
ATTEMPT_WAIT = 10.0    # the most a flood attempt waits for its answer
SETTLE = 0.5           # seconds between phases, for the last answers to come in


# ---------------------------------------------------------------------------------------------- the measuring client
class Probe(Session):
    """order_entry's raw session, with the Heartbeats that answer our TestRequests handed on with their time read."""

    def __init__(self, sender: str, target: str) -> None:
        super().__init__(sender, target, self._app)
        self.tests: dict[bytes, float] = {}        # TestReqID -> sent at
        self.orders: dict[bytes, float] = {}       # ClOrdID -> sent at
        self.phase: Figures | None = None
        self._next = 0
        self._prefix = uuid.uuid4().hex[:6].encode()

    def _receive(self, message: Message, now: float) -> None:
        if message.msg_type == b"0" and (test_id := message.get(112)) is not None:
            sent = self.tests.pop(test_id, None)
            if sent is not None and self.phase is not None:
                self.phase.test_rtt.append(now - sent)
        super()._receive(message, now)

    def _app(self, message: Message, now: float) -> None:
        kind, exec_type = message.msg_type, message.get(150)
        if kind == b"8" and exec_type in (b"0", b"I"):
            return
        if kind == b"8" and exec_type == b"F" and message.get(39) != b"2":
            return   # a partial fill: the order's round trip ends at the fill that completes it
        sent = self.orders.pop(message.get(11) or b"", None)
        if self.phase is None:
            return
        if sent is None:
            self.phase.oddities[f"naming no order in flight: 35={kind.decode()} {message.get_str(58) or ''}"] += 1
        elif kind == b"8" and exec_type == b"F":
            self.phase.order_rtt.append(now - sent)
        else:
            self.phase.oddities[f"order ended 35={kind.decode()} 150={(exec_type or b'').decode()} "
                                f"{message.get_str(58) or ''}".strip()] += 1

    def test_request(self) -> None:
        self._next += 1
        test_id = b"%s-t%d" % (self._prefix, self._next)
        self.tests[test_id] = self.send(b"1", [(112, test_id)])

    def order(self) -> None:
        self._next += 1
        cl_ord_id = b"%s-o%d" % (self._prefix, self._next)
        self.orders[cl_ord_id] = self.send(b"D", [(11, cl_ord_id), (55, SYMBOL.encode()),
                                                  (54, b"1" if self._next % 2 else b"2"),
                                                  (60, format_timestamp(time.time())), (38, QUANTITY[SYMBOL]),
                                                  (40, b"1"), (59, b"3")])


@dataclass
class Figures:
    """One phase: what the measuring session saw, and (a flood phase) what the flood process did."""
    name: str
    round: int
    seconds: float = 0.0
    tests_sent: int = 0
    orders_sent: int = 0
    test_rtt: list[float] = field(default_factory=list)
    order_rtt: list[float] = field(default_factory=list)
    oddities: Counter[str] = field(default_factory=Counter)
    hub_cpu: float = 0.0            # cores the demo kept busy
    flood: dict[str, object] = field(default_factory=dict)

    def stats(self) -> dict[str, float]:
        flood_rate = float(self.flood.get("answered", 0)) / max(1e-9, float(self.flood.get("seconds", 0) or 1e-9)) \
            if self.flood else 0.0
        return {"test_p50": statistics.median(self.test_rtt) * 1e6 if self.test_rtt else float("nan"),
                "test_p99": percentile(self.test_rtt, 0.99) * 1e6,
                "test_rate": len(self.test_rtt) / max(1e-9, self.seconds),
                "order_p50": statistics.median(self.order_rtt) * 1e6 if self.order_rtt else float("nan"),
                "order_p99": percentile(self.order_rtt, 0.99) * 1e6,
                "order_rate": len(self.order_rtt) / max(1e-9, self.seconds),
                "flood_rate": flood_rate, "hub_cpu": self.hub_cpu}


async def measure(probe: Probe, phase: Figures, seconds: float, test_rate: float, order_rate: float,
                  hub_pid: int) -> None:
    """TestRequests and orders on a schedule (a late wake-up sends what is due), then wait for the last answers."""
    probe.phase = phase
    hub_before, began = cpu_seconds(hub_pid), time.perf_counter()
    total_tests, total_orders = int(test_rate * seconds), int(order_rate * seconds)
    while (phase.tests_sent < total_tests or phase.orders_sent < total_orders) and not probe.closed.is_set():
        elapsed = time.perf_counter() - began
        while phase.tests_sent < min(total_tests, int(elapsed * test_rate) + 1):
            probe.test_request()
            phase.tests_sent += 1
        while phase.orders_sent < min(total_orders, int(elapsed * order_rate) + 1):
            probe.order()
            phase.orders_sent += 1
        due = [began + sent / rate for sent, total, rate in ((phase.tests_sent, total_tests, test_rate),
                                                              (phase.orders_sent, total_orders, order_rate))
               if sent < total]
        if due:
            await asyncio.sleep(max(0.0, min(due) - time.perf_counter()))
    phase.seconds = time.perf_counter() - began
    waited = time.perf_counter()
    while (probe.tests or probe.orders) and time.perf_counter() - waited < ATTEMPT_WAIT and not probe.closed.is_set():
        await asyncio.sleep(0.02)
    phase.hub_cpu = (cpu_seconds(hub_pid) - hub_before) / max(1e-9, time.perf_counter() - began)
    for what, left in (("TestRequest", probe.tests), ("order", probe.orders)):
        if left:
            phase.oddities[f"{what} unanswered at the end of the phase"] += len(left)
            left.clear()
    if probe.closed.is_set():
        phase.oddities[f"the hub closed the ALICE session: {probe.logout_text or '(no text)'}"] += 1
    probe.phase = None


# ---------------------------------------------------------------------------------------------- the flood process
class _Refused(asyncio.Protocol):
    """One FIX Logon with a wrong password on a fresh connection; ends with the Logout's Text."""

    def __init__(self, answer: asyncio.Future[str]) -> None:
        self.answer = answer
        self.framer = Framer()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sender, password = WRONG_FIX
        transport.write(encode(BEGIN, [(35, b"A"), (49, sender.encode()), (56, b"DYNAMICTECH"), (34, b"1"),
                                       (52, format_timestamp(time.time())), (98, b"0"), (108, b"30"), (141, b"Y"),
                                       (553, sender.encode()), (554, password)]))

    def data_received(self, data: bytes) -> None:
        self.framer.feed(data)
        while (frame := self.framer.next_frame()) is not None:
            message = parse(frame)
            if not self.answer.done():
                self.answer.set_result(f"35={message.msg_type.decode()} {message.get_str(58) or ''}")

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answer.done():
            self.answer.set_result("connection closed with no Logout")


def fix_kind(answer: str) -> str:
    if "too many failed logons" in answer:
        return "refused by lock (too many failed logons)"
    if "wrong Username" in answer:
        return "refused by hash (wrong Username/Password)"
    return answer


async def fix_attempt(port: int) -> str:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    transport, _ = await loop.create_connection(lambda: _Refused(answer), "127.0.0.1", port)
    try:
        return fix_kind(await asyncio.wait_for(answer, ATTEMPT_WAIT))
    finally:
        transport.close()


async def web_attempt(client: object, url: str) -> str:
    import aiohttp

    assert isinstance(client, aiohttp.ClientSession)
    login = f"nobody-{uuid.uuid4().hex[:8]}" if random.random() < 0.5 else random.choice(["alice", "bob", "admin"])
    async with client.post(url, json={"login": login, "password": uuid.uuid4().hex},
                           timeout=aiohttp.ClientTimeout(total=ATTEMPT_WAIT)) as response:
        await response.read()
        return f"HTTP {response.status}"


async def flood(fix_port: int, web_url: str, rate: float, seconds: float,
                started: multiprocessing.connection.Connection) -> dict[str, object]:
    """``rate`` attempts a second on a schedule, FIX and web in turn, each its own task (a slow answer does not hold
    back the next attempt); what each came to."""
    import aiohttp

    outcomes: Counter[str] = Counter()
    answered = {"fix": 0, "web": 0}
    tasks: set[asyncio.Task[None]] = set()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as client:
        async def one(door: str) -> None:
            try:
                kind = await (fix_attempt(fix_port) if door == "fix" else web_attempt(client, web_url))
                answered[door] += 1
            except Exception as error:   # a timeout or refused connection is a figure, not a crash
                kind = f"failed: {type(error).__name__} {error}"[:120]
            outcomes[f"{door}: {kind}"] += 1

        total = int(rate * seconds)
        started.send("started")
        began = time.perf_counter()
        launched = 0
        while launched < total:
            due = min(total, int((time.perf_counter() - began) * rate) + 1)
            while launched < due:
                task = asyncio.create_task(one("fix" if launched % 2 == 0 else "web"))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                launched += 1
            await asyncio.sleep(max(0.0, began + launched / rate - time.perf_counter()))
        window = time.perf_counter() - began
        if tasks:
            await asyncio.wait(set(tasks), timeout=ATTEMPT_WAIT + 1)
        return {"launched": launched, "answered": answered["fix"] + answered["web"], "fix": answered["fix"],
                "web": answered["web"], "seconds": window, "outcomes": dict(outcomes),
                "unfinished": len(tasks)}


def flood_process(fix_port: int, web_url: str, orders: multiprocessing.connection.Connection) -> None:
    """The flood's own process: one flood per (rate, seconds) it is sent, its figures sent back; None ends it."""
    while (job := orders.recv()) is not None:
        rate, seconds = job
        orders.send(asyncio.run(flood(fix_port, web_url, rate, seconds, orders)))


# ---------------------------------------------------------------------------------------------- the run
def phase_line(phase: Figures) -> str:
    s = phase.stats()
    text = (f"round {phase.round} {phase.name:<5}  TestRequest p50 {s['test_p50']:8,.0f} µs  p99 {s['test_p99']:8,.0f} "
            f"µs  {s['test_rate']:5.1f}/s ({len(phase.test_rtt)}/{phase.tests_sent})   order p50 "
            f"{s['order_p50']:8,.0f} µs  p99 {s['order_p99']:8,.0f} µs  {s['order_rate']:4.1f} fills/s "
            f"({len(phase.order_rtt)}/{phase.orders_sent})   hub {s['hub_cpu']:.2f} cores")
    if phase.flood:
        f = phase.flood
        text += (f"\n         flood: {s['flood_rate']:.1f} attempts/s answered ({f['answered']} of {f['launched']} "
                 f"launched in {float(f['seconds']):.1f} s: FIX {f['fix']}, web {f['web']}; {f['unfinished']} "
                 f"unfinished)")
        for outcome, number in sorted(dict(f["outcomes"]).items()):   # type: ignore[call-overload]
            text += f"\n           {number:5} x {outcome}"
    for oddity, number in phase.oddities.most_common(8):
        text += f"\n         ! {number} x {oddity}"
    return text


def report(phases: list[Figures]) -> None:
    quiet = [p.stats() for p in phases if p.name == "quiet"]
    flooded = [p.stats() for p in phases if p.name == "flood"]
    print("\nmedians over rounds (each phase's own p50/p99; RTT in µs):\n"
          "| figure | quiet | flood | flood/quiet | within 2x |\n|---|---|---|---|---|")
    for key, label, lower_is_better in (("test_p50", "TestRequest RTT p50", True),
                                        ("test_p99", "TestRequest RTT p99", True),
                                        ("test_rate", "TestRequests answered/s", False),
                                        ("order_p50", "order RTT p50", True), ("order_p99", "order RTT p99", True),
                                        ("order_rate", "orders filled/s", False),
                                        ("flood_rate", "flood attempts answered/s", None),
                                        ("hub_cpu", "hub CPU, cores", None)):
        q = statistics.median(row[key] for row in quiet) if quiet else float("nan")
        f = statistics.median(row[key] for row in flooded) if flooded else float("nan")
        ratio = f / q if q else float("nan")
        verdict = "" if lower_is_better is None else (
            ("yes" if ratio <= 2 else "NO") if lower_is_better else ("yes" if ratio >= 0.5 else "NO"))
        print(f"| {label} | {q:,.1f} | {f:,.1f} | {ratio:.2f} | {verdict} |")
    every = Counter[str]()
    for phase in phases:
        for outcome, number in dict(phase.flood.get("outcomes", {})).items():   # type: ignore[call-overload]
            every[outcome] += number
    if every:
        print("\nflood attempts over the run, by answer:")
        for outcome, number in every.most_common():
            print(f"  {number:6} x {outcome}")


async def bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-login-flood-") as folder:
        work = Path(args.work or folder)
        work.mkdir(parents=True, exist_ok=True)
        data = Path(tempfile.mkdtemp(prefix="demo-", dir=work))
        demo = Server(["demo", "--orders-per-second", "0", "--data", str(data), "--port", "0", "--fix-port", "0",
                       "--drop-copy-port", "0"], data / "demo.log")
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        flooder: multiprocessing.process.BaseProcess | None = None
        try:
            terminal = await demo.start(TERMINAL)
            web_url = f"http://{terminal[1]}:{terminal[2]}/api/session"
            assert demo.process is not None and demo.process.stdout is not None
            while not (found := BANNER.search((await asyncio.wait_for(demo.process.stdout.readline(), 30)).decode())):
                pass
            port, sender, target = int(found[1]), "ALICE", found[3].rstrip(",")
            flooder = context.Process(target=flood_process, args=(port, web_url, theirs), daemon=True)
            flooder.start()
            probe = Probe(sender, target)
            await asyncio.get_running_loop().create_connection(lambda: probe, "127.0.0.1", port)
            await probe.logon()
            alive = asyncio.create_task(probe.keep_alive())
            await measure(probe, Figures("warm", 0), 2, args.test_rate, args.order_rate, demo.pid)   # not reported
            phases: list[Figures] = []
            loop = asyncio.get_running_loop()
            for number in range(1, args.rounds + 1):
                for name in ("quiet", "flood"):
                    phase = Figures(name, number)
                    if name == "flood":
                        mine.send((args.flood_rate, args.seconds + SETTLE))
                        await loop.run_in_executor(None, mine.recv)   # "started"
                        await measure(probe, phase, args.seconds, args.test_rate, args.order_rate, demo.pid)
                        phase.flood = await loop.run_in_executor(None, mine.recv)
                    else:
                        await measure(probe, phase, args.seconds, args.test_rate, args.order_rate, demo.pid)
                    phases.append(phase)
                    print(phase_line(phase), flush=True)
                    if probe.closed.is_set():
                        break
                    await asyncio.sleep(SETTLE)
                if probe.closed.is_set():
                    print("the ALICE session is closed; the hub has locked this address, so the run ends here")
                    break
            await probe.logout()
            alive.cancel()
            report(phases)
            mine.send(None)
            flooder.join(10)
            print(f"\nthe demo: {await demo.stop()}")
            events = demo.log_events()
            for event, number in events.most_common(6):
                print(f"  hub log: {number} x {event[:150]}")
        finally:
            if flooder is not None and flooder.is_alive():
                flooder.terminate()
            if demo.process is not None and demo.process.returncode is None:
                await demo.stop()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--rounds", type=int, default=3, help="quiet and flood phases, in turn")
    options.add_argument("--seconds", type=float, default=20,
                         help="each phase's length (20 s: 100 orders, enough for a p99 that is not one order)")
    options.add_argument("--test-rate", type=float, default=20, help="TestRequests a second")
    options.add_argument("--order-rate", type=float, default=5, help="market orders a second")
    options.add_argument("--flood-rate", type=float, default=100, help="logon attempts a second, half FIX, half web")
    options.add_argument("--work", help="keep the demo's data and log here (default: a temporary folder)")
    args = options.parse_args()
    print(f"# python bench/login_flood.py --rounds {args.rounds} --seconds {args.seconds:g} --test-rate "
          f"{args.test_rate:g} --order-rate {args.order_rate:g} --flood-rate {args.flood_rate:g}", flush=True)
    try:
        import uvloop
    except ImportError:
        asyncio.run(bench(args))
    else:
        uvloop.run(bench(args))


if __name__ == "__main__":
    main()
