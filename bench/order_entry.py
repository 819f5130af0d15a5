"""Market orders through the client FIX order-entry door of a running ``dynamictech demo``, to their fills: the
durable order path as a user runs it (the door, the journal, the pipeline, the PrimeXM or Binance adapter and its
simulator, the fill booked in SQL, the ExecutionReport back).

    python bench/order_entry.py [--rounds 3] [--seconds 10] [--rate 500] [--window 200]
                                [--databases sqlite,postgresql] [--symbols EUR/USD,BTC/USDT] [--profile] [--work DIR]

Each round starts one demo per database (SQLite in a fresh --data folder; PostgreSQL in a fresh database on
DATABASE_URL's server, or the local one, dropped afterwards), the databases interleaved round by round because the
machine is shared and noisy. For each symbol, two loads on one FIX 4.4 session as ALICE, market orders buying and
selling in turn so the position stays flat:
- fixed: --rate orders a second for --seconds; order-to-fill p50 and p99 (from the NewOrderSingle written to the
  ExecutionReport 150=F 39=2 read) and the fills a second achieved;
- saturation: --window orders in flight, the next sent as each ends; fills a second in the window, p50, p99.
The load client is a raw FIX session over fix_sessions.codec. Its own cost is measured first against
``dynamictech fix-echo``, and its CPU per order is printed beside the hub's in every run. Every order is accounted
for: sent, filled, rejected (by text), lost, outstanding at the end, set beside the hub's journal. After each load
its backlog is waited for (up to DRAIN_LIMIT); a session the hub closes (an order read more than its MaxLatency
after its SendingTime is refused, then the session logged out) is logged on anew for the next load, and what was in
flight on it is counted lost. ``--profile`` adds one saturation run per database with py-spy attached to the demo
(not in the table) and prints where the hub's time goes; ``--work DIR`` keeps the demos' data and logs.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fix_sessions.codec import Framer, Message, encode, parse
from fix_sessions.utctime import format_timestamp

BEGIN = b"FIX.4.4"
QUANTITY = {"EUR/USD": b"0.01", "BTC/USDT": b"0.001"}   # engine units: lots of 100,000 EUR; BTC
BANNER = re.compile(r"fix orders fix://127\.0\.0\.1:(\d+) \((FIX\.4\.4), TargetCompID (\S+), SenderCompID (\S+)")
STOP_WAIT = 10.0
FIX_PASSWORD = b"alice-fix-demo"   # the demo banner's fix login for ALICE (fix-echo checks none)
LOGON_WAIT = 60.0     # a hub busy with a backlog answers a Logon late
DRAIN_LIMIT = 600.0   # the most a backlog is waited for after its load
STALL = 30.0          # ... or this long with no order ending
Fields = Sequence[tuple[int, bytes]]


# ---------------------------------------------------------------------------------------------- the load client
class Session(asyncio.Protocol):
    """A FIX 4.4 initiator cut to what a load needs, cheaper per message than fix_sessions' SocketInitiator (no
    store, no dictionary): Logon, heartbeats, TestRequest answered, sequence numbers checked (a gap is counted, not
    recovered: its orders stay outstanding), Logout. Application messages and session-level Rejects go to
    ``on_app`` with the time their bytes were read."""

    def __init__(self, sender: str, target: str, on_app: Callable[[Message, float], None],
                 heartbeat: int = 30) -> None:
        self.sender, self.target = sender.encode(), target.encode()
        self.on_app = on_app
        self.heartbeat = heartbeat
        self.out_seq = self.in_seq = 1
        self.gaps = 0                            # inbound messages skipped by MsgSeqNum
        self.oddities: Counter[str] = Counter()
        self.logout_text = ""
        self.logged_on, self.closed = asyncio.Event(), asyncio.Event()
        self.last_sent = 0.0
        self._framer = Framer()
        self._transport: asyncio.Transport | None = None
        self._logging_out = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        self.logged_on.set()   # wakes a logon the hub refused

    def send(self, msg_type: bytes, fields: Fields) -> float:
        """Write one message; the time just before the write, which is where an order's latency starts."""
        frame = encode(BEGIN, [(35, msg_type), (49, self.sender), (56, self.target), (34, b"%d" % self.out_seq),
                               (52, format_timestamp(time.time())), *fields])
        self.out_seq += 1
        assert self._transport is not None
        self.last_sent = time.perf_counter()
        self._transport.write(frame)
        return self.last_sent

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self._framer.feed(data)
        while (frame := self._framer.next_frame()) is not None:
            self._receive(parse(frame), now)

    def _receive(self, message: Message, now: float) -> None:
        seq = message.get_int(34, 0) or 0
        if seq > self.in_seq:
            self.gaps += seq - self.in_seq
        self.in_seq = max(self.in_seq, seq + 1)
        kind = message.msg_type
        if kind == b"A":
            self.logged_on.set()
        elif kind == b"1":
            self.send(b"0", [(112, message.get(112) or b"")])
        elif kind == b"2":   # we never skip a number, so this is odd: counted, and answered so the session goes on
            self.oddities["ResendRequest from the hub"] += 1
            self.send(b"4", [(36, b"%d" % (self.out_seq + 1))])
        elif kind == b"4":
            self.in_seq = message.get_int(36, self.in_seq) or self.in_seq
        elif kind == b"5":
            self.logout_text = message.get_str(58) or ""
            if not self._logging_out:
                self.oddities[f"the hub logged the session out: {self.logout_text or '(no text)'}"] += 1
                self.send(b"5", [])
            self.logged_on.set()   # wakes a logon the hub refused
            self.closed.set()
        elif kind != b"0":
            self.on_app(message, now)

    async def logon(self) -> None:
        self.send(b"A", [(98, b"0"), (108, b"%d" % self.heartbeat), (141, b"Y"), (553, self.sender),
                         (554, FIX_PASSWORD)])
        await asyncio.wait_for(self.logged_on.wait(), LOGON_WAIT)
        if self.closed.is_set():
            raise RuntimeError(f"logon refused: {self.logout_text or 'connection closed'}")

    async def keep_alive(self) -> None:
        while not self.closed.is_set():
            await asyncio.sleep(1)
            if time.perf_counter() - self.last_sent >= self.heartbeat:
                self.send(b"0", [])

    async def logout(self) -> None:
        if self.closed.is_set():
            return
        self._logging_out = True
        self.send(b"5", [])
        try:
            await asyncio.wait_for(self.closed.wait(), 5)
        except TimeoutError:
            pass
        if self._transport is not None:
            self._transport.close()


@dataclass
class Phase:
    """One load's orders and what came of them."""
    name: str
    symbol: str
    refill: bool = False                  # saturation: each order that ends is replaced while the window is open
    sent: int = 0
    filled: int = 0
    partial_fills: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    ended_otherwise: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    closes: float = 0.0                   # end of the sending window
    first_sent: float = 0.0
    last_sent: float = 0.0
    last_fill: float = 0.0
    fills_in_window: int = 0
    longest_gap: float = 0.0              # the longest wait between two fills: a stall shows here
    drained: float = 0.0                  # seconds the backlog took to end after the window
    left: int = 0                         # orders still outstanding when the drain gave up
    lost: int = 0                         # orders in flight when the hub closed the session
    cpu: dict[str, float] = field(default_factory=dict)
    commits: int | None = None            # database transactions committed during the load (PostgreSQL)

    @property
    def outstanding(self) -> int:
        return (self.sent - self.filled - sum(self.rejects.values()) - sum(self.ended_otherwise.values())
                - self.lost)


class Load:
    """Market orders on one session, buying and selling in turn, each timed from its NewOrderSingle written to its
    filling ExecutionReport read."""

    def __init__(self, port: int, sender: str, target: str) -> None:
        self.port, self.sender, self.target = port, sender, target
        self.session = Session(sender, target, self.on_app)
        self.sessions = 0
        self.in_flight: dict[bytes, tuple[float, Phase, int]] = {}   # ClOrdID -> sent at, its load, MsgSeqNum
        self.by_seq: dict[int, bytes] = {}                           # for a Reject, which names a MsgSeqNum
        self.stray: Counter[str] = Counter()   # messages that name no order of ours
        self.oddities: Counter[str] = Counter()
        self.gaps = 0
        self.last_end = 0.0
        self._prefix = uuid.uuid4().hex[:6].encode()
        self._next = 0
        self._alive: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Log on; again on a new connection once the hub has closed the last."""
        if self.sessions:
            self._retire(lost=True)
            self.session = Session(self.sender, self.target, self.on_app)
        deadline = time.monotonic() + LOGON_WAIT
        while True:
            await asyncio.get_running_loop().create_connection(lambda: self.session, "127.0.0.1", self.port)
            try:
                await self.session.logon()
                break
            except RuntimeError as refused:   # the hub still finishing the last session, say
                if time.monotonic() > deadline:
                    raise
                self.oddities[str(refused)] += 1
                self.session = Session(self.sender, self.target, self.on_app)
                await asyncio.sleep(1)
        self.sessions += 1
        self._alive = asyncio.create_task(self.session.keep_alive())

    async def reconnect(self) -> None:
        if self.session.closed.is_set():
            await self.connect()

    async def close(self) -> None:
        closed_by_hub = self.session.closed.is_set()
        await self.session.logout()
        if self._alive is not None:
            self._alive.cancel()
        self._retire(lost=closed_by_hub)

    def _retire(self, lost: bool) -> None:
        """Keep the session's counts; if the hub closed it, what was still in flight on it is lost."""
        self.oddities.update(self.session.oddities)
        self.gaps += self.session.gaps
        if lost:
            for _, phase, _ in self.in_flight.values():
                phase.lost += 1
            self.in_flight.clear()
            self.by_seq.clear()

    def order(self, phase: Phase) -> None:
        self._next += 1
        cl_ord_id = b"%s-%d" % (self._prefix, self._next)
        seq = self.session.out_seq
        sent = self.session.send(b"D", [(11, cl_ord_id), (55, phase.symbol.encode()),
                                        (54, b"1" if self._next % 2 else b"2"), (60, format_timestamp(time.time())),
                                        (38, QUANTITY[phase.symbol]), (40, b"1"), (59, b"3")])
        self.in_flight[cl_ord_id] = (sent, phase, seq)
        self.by_seq[seq] = cl_ord_id
        phase.sent += 1
        phase.first_sent = phase.first_sent or sent
        phase.last_sent = sent

    def on_app(self, message: Message, now: float) -> None:
        kind, exec_type = message.msg_type, message.get(150)
        if kind in (b"3", b"j"):   # Reject, BusinessMessageReject: they name the order by its MsgSeqNum
            cl_ord_id = self.by_seq.get(message.get_int(45, 0) or 0, b"")
        else:
            cl_ord_id = message.get(11) or b""
        if kind == b"8" and exec_type in (b"0", b"I"):
            return
        if kind == b"8" and exec_type == b"F" and message.get(39) != b"2":
            if cl_ord_id in self.in_flight:
                self.in_flight[cl_ord_id][1].partial_fills += 1
            return
        entry = self.in_flight.pop(cl_ord_id, None)
        if entry is None:
            self.stray[f"35={kind.decode()} 150={(exec_type or b'').decode()} {message.get_str(58) or ''}"] += 1
            return
        sent, phase, seq = entry
        del self.by_seq[seq]
        self.last_end = now
        if (kind == b"8" and exec_type == b"F") or kind == b"D":   # a fill, or fix-echo's echo of the order
            phase.filled += 1
            phase.latencies.append(now - sent)
            if phase.last_fill:
                phase.longest_gap = max(phase.longest_gap, now - phase.last_fill)
            phase.last_fill = now
            phase.fills_in_window += now <= phase.closes
        elif kind == b"8" and exec_type == b"8":
            phase.rejects[message.get_str(58) or "(no text)"] += 1
        elif kind in (b"3", b"j"):
            phase.rejects[f"35={kind.decode()} {message.get_str(58) or '(no text)'}"] += 1
        else:
            phase.ended_otherwise[f"35={kind.decode()} 150={(exec_type or b'').decode()} "
                                  f"{message.get_str(58) or ''}".strip()] += 1
        if phase.refill and now < phase.closes and not self.session.closed.is_set():
            self.order(phase)

    async def fixed(self, phase: Phase, rate: int, seconds: float) -> None:
        """Offer ``rate`` orders a second on a schedule: a late wake-up sends what is due, so the offered rate holds."""
        total = int(rate * seconds)
        phase.started = time.perf_counter()
        phase.closes = phase.started + seconds
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - phase.started) * rate) + 1)
            while sent < due:
                self.order(phase)
                sent += 1
            await asyncio.sleep(max(0.0, phase.started + sent / rate - time.perf_counter()))
        await self.drain(phase)

    async def saturate(self, phase: Phase, window: int, seconds: float) -> None:
        phase.refill = True
        phase.started = time.perf_counter()
        phase.closes = phase.started + seconds
        for _ in range(window):
            self.order(phase)
        await asyncio.sleep(seconds)
        await self.drain(phase)

    async def drain(self, phase: Phase) -> None:
        """Wait for the backlog: until every order has ended, or none has for STALL seconds, or DRAIN_LIMIT."""
        began = time.perf_counter()
        while phase.outstanding and not self.session.closed.is_set():
            now = time.perf_counter()
            if now - began > DRAIN_LIMIT or now - max(self.last_end, began) > STALL:
                break
            await asyncio.sleep(0.05)
        phase.drained, phase.left = time.perf_counter() - began, phase.outstanding


# ---------------------------------------------------------------------------------------------- processes
def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far: how much else the shared cores were doing."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK"), sum(values) / os.sysconf("SC_CLK_TCK")


class Server:
    """A ``dynamictech`` subcommand as a child process (from this tree), its stderr in a file, stopped by SIGTERM."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.args, self.log = args, log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, ready: re.Pattern[str], timeout: float = 60) -> re.Match[str]:
        """Start it and read stdout until ``ready`` matches a line."""
        with self.log.open("wb") as errors:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "dynamictech", *self.args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                stderr=errors)
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            line = (await asyncio.wait_for(self.process.stdout.readline(), left)).decode()
            if not line:
                break
            if found := ready.search(line):
                return found
        raise RuntimeError(f"{' '.join(self.args[:1])} did not start; see {self.log}:\n{self.log.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stop(self) -> str:
        """SIGTERM, then SIGKILL after STOP_WAIT seconds; says which it took."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_WAIT)
            return f"stopped by SIGTERM in {time.monotonic() - started:.1f} s (exit {self.process.returncode})"
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            return f"KILLED: still running {STOP_WAIT:.0f} s after SIGTERM"

    def log_events(self) -> Counter[str]:
        """The warnings and errors it logged, by event."""
        seen: Counter[str] = Counter()
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                seen[f"(not JSON) {line[:100]}"] += 1
                continue
            if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
                seen[f"{entry['level']} {entry.get('event')} {entry.get('reason') or entry.get('text') or ''}"
                     .strip()] += 1
        return seen


class Postgres:
    """A fresh database on the server of ``url``, dropped when done."""

    def __init__(self, url: str) -> None:
        import sqlalchemy

        base = sqlalchemy.make_url(url)
        if base.drivername == "postgresql":
            base = base.set(drivername="postgresql+psycopg")
        self.name = f"dt_bench_{uuid.uuid4().hex[:10]}"
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self._admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"')

    def commits(self) -> int:
        with self._admin.connect() as connection:
            return int(connection.exec_driver_sql(
                f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{self.name}'").scalar_one())

    def drop(self) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{self.name}" WITH (FORCE)')
        self._admin.dispose()


# ---------------------------------------------------------------------------------------------- runs
@dataclass
class Run:
    database: str
    phases: list[Phase]
    stopped: str
    log_events: Counter[str]
    oddities: Counter[str]
    gaps: int
    stray: Counter[str]
    idle: float                           # the demo's CPU a second with no orders
    journal: str                          # what the hub's database holds at the end
    sessions: int                         # FIX connections it took (one, unless the hub closed one)
    profile: Path | None = None


async def measured(phase: Phase, go: Callable[[], Awaitable[None]], hub_pid: int, idle: float = 0.0,
                   commits: Callable[[], int] | None = None) -> None:
    """Run one load, noting the CPU the hub (less what it spends idle), this client and the machine spent on it,
    and the database's commits."""
    hub, mine, (busy, total), began = cpu_seconds(hub_pid), time.process_time(), machine_busy(), time.perf_counter()
    committed = commits() if commits else 0
    await go()
    now_busy, now_total = machine_busy()
    phase.cpu = {"hub": cpu_seconds(hub_pid) - hub - idle * (time.perf_counter() - began),
                 "client": time.process_time() - mine,
                 "machine": (now_busy - busy) / max(1e-9, now_total - total) * (os.cpu_count() or 1)}
    if commits:
        phase.commits = commits() - committed


async def idle_cpu(pid: int, seconds: float = 3) -> float:
    """CPU seconds a second the demo spends with no orders: its simulators' prices, the feed, the bars."""
    before = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def journal(url: str) -> str:
    """The hub's orders by OrdStatus and its executions, to set beside what the client saw."""
    import sqlalchemy

    from engine.domain.order import OrdStatus

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT status, count(*) FROM orders GROUP BY status").all()
            executions = connection.exec_driver_sql("SELECT count(*) FROM executions").scalar_one()
    finally:
        engine.dispose()
    return ", ".join(f"{count} {OrdStatus(status).name}" for status, count in rows) + f"; {executions} executions"


async def demo_run(database: str, args: argparse.Namespace, work: Path, profile: bool = False) -> Run:
    """One demo on a fresh database: each symbol's fixed-rate load then its saturation (or, profiling, only the
    first symbol's saturation with py-spy attached)."""
    data = Path(tempfile.mkdtemp(prefix=f"demo-{database}-", dir=work))
    postgres = Postgres(args.postgres) if database == "postgresql" else None
    demo = Server(["demo", "--orders-per-second", "0", "--data", str(data), "--port", "0", "--fix-port", "0",
                   "--drop-copy-port", "0", *(["--database", postgres.url] if postgres else [])], data / "demo.log")
    try:
        found = await demo.start(BANNER)
        port, sender, target = int(found[1]), found[4], found[3].rstrip(",")
        load = Load(port, sender, target)
        await load.connect()
        idle = await idle_cpu(demo.pid)
        commits = postgres.commits if postgres else None
        phases: list[Phase] = []
        trace = data / "py-spy.txt" if profile else None
        for symbol in args.symbols[:1] if profile else args.symbols:
            if not profile:
                await load.reconnect()
                fixed = Phase(f"{args.rate}/s", symbol)
                phases.append(fixed)
                await measured(fixed, functools.partial(load.fixed, fixed, args.rate, args.seconds), demo.pid, idle,
                               commits)
            await load.reconnect()
            saturation = Phase(f"{args.window} in flight", symbol)
            phases.append(saturation)
            spy = await start_py_spy(demo.pid, args.seconds, trace) if trace else None
            await measured(saturation, functools.partial(load.saturate, saturation, args.window, args.seconds),
                           demo.pid, idle, commits)
            if spy is not None:
                await spy.wait()
        await load.close()
        stopped = await demo.stop()
        return Run(database, phases, stopped, demo.log_events(), load.oddities, load.gaps, load.stray, idle,
                   journal(postgres.url if postgres else f"sqlite:///{data / 'demo.db'}"), load.sessions, trace)
    finally:
        if demo.process is not None and demo.process.returncode is None:
            await demo.stop()
        if postgres is not None:
            postgres.drop()


async def echo_run(args: argparse.Namespace, work: Path) -> Phase:
    """The load client against ``dynamictech fix-echo`` (our session layer, echoing each NewOrderSingle): the
    client's own ceiling and CPU per order, with a peer far cheaper than the hub."""
    store = Path(tempfile.mkdtemp(prefix="echo-", dir=work))
    config = store / "echo.cfg"
    config.write_text(f"[DEFAULT]\nConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
                      f"FileStorePath={store}\nDataDictionary={ROOT / 'fix_specs' / 'FIX44.xml'}\n\n[SESSION]\n"
                      f"BeginString=FIX.4.4\nSenderCompID=DYNAMICTECH\nTargetCompID=ALICE\n")
    echo = Server(["fix-echo", "--config", str(config)], store / "echo.log")
    try:
        port = int((await echo.start(re.compile(r"fix-echo: listening on (\d+)")))[1])
        load = Load(port, "ALICE", "DYNAMICTECH")
        await load.connect()
        phase = Phase(f"{args.window} in flight", "EUR/USD")
        await measured(phase, lambda: load.saturate(phase, args.window, min(args.seconds, 5)), echo.pid)
        await load.close()
        return phase
    finally:
        await echo.stop()


async def start_py_spy(pid: int, seconds: float, out: Path) -> asyncio.subprocess.Process | None:
    spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if spy is None:
        print("py-spy is not installed (pip install py-spy): no profile")
        return None
    return await asyncio.create_subprocess_exec(spy, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                                "--rate", "200", "--format", "raw", "--output", str(out),
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------- figures
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def figures(phase: Phase) -> dict[str, float]:
    """p50, p99 and max in µs; fills a second (saturation: within the window; fixed: first order to last fill)."""
    if phase.refill:
        rate = phase.fills_in_window / (phase.closes - phase.started)
    else:
        rate = phase.filled / max(1e-9, phase.last_fill - phase.first_sent)
    hub, client = (phase.cpu.get(k, 0.0) * 1e6 / max(1, phase.sent) for k in ("hub", "client"))
    return {"p50": statistics.median(phase.latencies) * 1e6 if phase.latencies else float("nan"),
            "p99": percentile(phase.latencies, 0.99) * 1e6, "max": max(phase.latencies, default=0.0) * 1e6,
            "rate": rate, "hub_us": hub, "client_us": client}


def line(label: str, phase: Phase) -> str:
    f = figures(phase)
    offered = "" if phase.refill else f", offered {phase.sent / max(1e-9, phase.last_sent - phase.first_sent):,.0f}/s"
    commits = "" if phase.commits is None else f", {phase.commits / max(1, phase.sent):.1f} commits/order"
    return (f"{label} {phase.symbol:<8} {phase.name:<13} p50 {f['p50']:11,.0f} µs  p99 {f['p99']:11,.0f} µs  "
            f"max {f['max']:11,.0f} µs  {f['rate']:6,.0f} fills/s\n"
            f"{'':{len(label)}}   sent {phase.sent}, filled {phase.filled}, rejected {sum(phase.rejects.values())}, "
            f"ended otherwise {sum(phase.ended_otherwise.values())}, lost with a closed session {phase.lost}, "
            f"outstanding {phase.left} after a "
            f"{phase.drained:.0f} s drain{offered}; longest wait between fills {phase.longest_gap * 1e3:,.0f} ms; "
            f"CPU per order: server {f['hub_us']:,.0f} µs (less idle), client {f['client_us']:,.0f} µs; machine "
            f"{phase.cpu.get('machine', 0.0):.1f} cores busy{commits}")


LAYERS = (("the database driver (commit, execute, waiting on the server)",
           ("do_commit", "do_execute", "psycopg/connection.py", "_send_query")),
          ("SQLAlchemy and sqlmodel in Python", ("sqlalchemy/", "sqlmodel/", "psycopg/")),
          ("logging", ("structlog/", "orjson", "logging/")), ("fix_sessions", ("fix_sessions/",)))
HUB_PACKAGES = ("engine/", "routing/", "gateway/")


def top_frames(trace: Path, count: int = 10) -> str:
    """py-spy's raw stacks summed by function: where the samples were (self), which layer that is, and the hub's
    own frames (engine, routing, gateway) by the samples under them (total)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    samples = 0
    for row in trace.read_text().splitlines():
        stack, _, number = row.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame).replace(str(ROOT) + "/", "").replace(
            str(Path(sys.prefix)) + "/lib/", "") for frame in stack.split(";")]
        samples += int(number)
        own[frames[-1]] += int(number)
        layers[next((name for name, marks in LAYERS if any(mark in frames[-1] for mark in marks)), "the rest")] \
            += int(number)
        for frame in set(frames):
            under[frame] += int(number)
    rows = [f"    {samples} samples at 200/s (threads on CPU or in a system call; waits for work left out); self:"]
    rows += [f"    {n / samples:6.1%}  {frame}" for frame, n in own.most_common(count)]
    rows += ["    by layer of the sampled frame:"]
    rows += [f"    {n / samples:6.1%}  {name}" for name, n in layers.most_common()]
    rows += ["    the hub's frames, total (the frame and what it called):"]
    rows += [f"    {n / samples:6.1%}  {frame}" for frame, n in under.most_common()
             if frame.rpartition("(")[2].startswith(HUB_PACKAGES)][:count + 4]
    return "\n".join(rows)


def summary(run: Run) -> str:
    return (f"  the demo: idle {run.idle:.0%} of a core; {run.sessions} FIX session(s); its journal: {run.journal}; "
            f"{run.stopped}")


def report(runs: list[Run], echo: Phase, profiles: list[Run], command: str) -> None:
    f = figures(echo)
    print(f"\nload client against fix-echo ({echo.name}): {f['rate']:,.0f} round trips/s (client and echo on the "
          f"two cores), client CPU {f['client_us']:.1f} µs per order (encode the D, parse the echo); sent "
          f"{echo.sent}, echoed {echo.filled}, outstanding {echo.outstanding}")
    print("\nmedians over rounds (µs from NewOrderSingle written to its filling ExecutionReport read):\n"
          "| database | symbol | p50 at rate | p99 at rate | fills/s at rate | fills/s saturated | p50 saturated "
          "| p99 saturated | hub CPU/order saturated | client CPU/order |\n|---|---|---|---|---|---|---|---|---|---|")
    for database, symbol in sorted({(r.database, p.symbol) for r in runs for p in r.phases},
                                   key=lambda key: (key[1], key[0])):
        mine = [p for r in runs if r.database == database for p in r.phases if p.symbol == symbol]
        fixed = [figures(p) for p in mine if not p.refill]
        saturated = [figures(p) for p in mine if p.refill]

        def med(rows: list[dict[str, float]], key: str) -> str:
            return f"{statistics.median(row[key] for row in rows):,.0f}"
        print(f"| {database} | {symbol} | {med(fixed, 'p50')} | {med(fixed, 'p99')} | {med(fixed, 'rate')} | "
              f"{med(saturated, 'rate')} | {med(saturated, 'p50')} | {med(saturated, 'p99')} | "
              f"{med(saturated, 'hub_us')} | {med(saturated + fixed, 'client_us')} |")
    every = [p for r in runs + profiles for p in r.phases]
    rejects = sum((p.rejects for p in every), Counter())
    others = sum((p.ended_otherwise for p in every), Counter())
    print(f"\norders to the demos: sent {sum(p.sent for p in every)}, filled {sum(p.filled for p in every)}, "
          f"rejected {sum(rejects.values())}, ended otherwise {sum(others.values())}, lost with a session the hub "
          f"closed {sum(p.lost for p in every)}, still outstanding at the end {sum(p.outstanding for p in every)}; "
          f"partial fills on the way {sum(p.partial_fills for p in every)}; inbound sequence gaps "
          f"{sum(r.gaps for r in runs + profiles)}; FIX sessions {sum(r.sessions for r in runs + profiles)} for "
          f"{len(runs + profiles)} demos")
    for title, seen in (("rejected", rejects), ("ended otherwise", others),
                        ("session", sum((r.oddities for r in runs + profiles), Counter())),
                        ("naming no order of ours", sum((r.stray for r in runs + profiles), Counter())),
                        ("hub log", sum((r.log_events for r in runs + profiles), Counter()))):
        for text, number in seen.most_common(12):
            print(f"  {title}: {number} x {text}")
    for run in profiles:
        if run.profile is not None and run.profile.exists():
            print(f"\nprofile of the demo on {run.database}, {run.phases[0].symbol} {run.phases[0].name} "
                  f"({figures(run.phases[0])['rate']:,.0f} fills/s under py-spy; {run.stopped}):")
            print(top_frames(run.profile))
    print(f"\n# {command}")


async def bench(args: argparse.Namespace, command: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-order-entry-") as folder:
        work = Path(args.work or folder)
        work.mkdir(parents=True, exist_ok=True)
        echo = await echo_run(args, work)
        print(line("echo   ", echo), flush=True)
        runs: list[Run] = []
        for number in range(1, args.rounds + 1):
            for database in args.databases:
                run = await demo_run(database, args, work)
                runs.append(run)
                for phase in run.phases:
                    print(line(f"round {number} {database:<10}", phase))
                print(summary(run), flush=True)
        profiles = [await demo_run(database, args, work, profile=True) for database in args.databases] \
            if args.profile else []
        for run in profiles:
            print(line(f"py-spy  {run.database:<10}", run.phases[0]))
            print(summary(run), flush=True)
        report(runs, echo, profiles, command)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--seconds", type=float, default=10)
    options.add_argument("--rate", type=int, default=500, help="the fixed load's orders a second")
    options.add_argument("--window", type=int, default=200, help="orders in flight at saturation")
    options.add_argument("--databases", default="sqlite,postgresql", type=lambda text: text.split(","))
    options.add_argument("--symbols", default="EUR/USD,BTC/USDT", type=lambda text: text.split(","))
    options.add_argument("--postgres", default=os.environ.get("DATABASE_URL",
                                                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
                         help="a PostgreSQL server to create the fresh databases on (default DATABASE_URL)")
    options.add_argument("--profile", action="store_true", help="then one saturation per database under py-spy")
    options.add_argument("--work", help="keep the demos' data and logs here (default: a temporary folder)")
    args = options.parse_args()
    unknown = set(args.symbols) - set(QUANTITY)
    if unknown:
        options.error(f"no order size for {', '.join(unknown)}; one of {', '.join(QUANTITY)}")
    import sqlalchemy

    shown = sqlalchemy.make_url(args.postgres).render_as_string(hide_password=True)
    command = (f"python bench/order_entry.py --rounds {args.rounds} --seconds {args.seconds:g} --rate {args.rate} "
               f"--window {args.window} --databases {','.join(args.databases)} --symbols {','.join(args.symbols)}"
               + (f" --postgres '{shown}'" if "postgresql" in args.databases else "")
               + (" --profile" if args.profile else ""))
    try:
        import uvloop
    except ImportError:
        asyncio.run(bench(args, command))
    else:
        uvloop.run(bench(args, command))


if __name__ == "__main__":
    main()
