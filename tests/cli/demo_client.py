"""Driving ``dynamictech demo`` as its users do: the process (started, signalled, started again on the same data),
a FIX client on our own initiator (``fix_sessions``) logged on as the trader ALICE and as the broker's drop copy
DEMOBROKER-DC, and the web API as alice. Every message and answer is kept, with when it came, for the invariants
of ``test_demo_restart``."""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from fix_sessions.application import Application
from fix_sessions.codec import Message
from fix_sessions.session_id import SessionID
from fix_sessions.settings import SessionConfig
from fix_sessions.transport import SocketInitiator
from fix_sessions.utctime import format_timestamp
from fix_specs import path as spec_path

_SCRIPT = Path(sys.executable).with_name("dynamictech")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [
    sys.executable, "-c", "from dynamictech.cli import main; raise SystemExit(main())"]
HUB = "DYNAMICTECH"
TRADER = SessionID("FIX.4.4", "ALICE", HUB)          # the demo banner's order-entry CompIDs
DROP_COPY = SessionID("FIX.4.4", "DEMOBROKER-DC", HUB)
ACCOUNT = "ALICE-USD"
FIX_PASSWORDS = {"ALICE": "alice-fix-demo", "DEMOBROKER-DC": "dropcopy-demo"}   # the banner's fix logins
LOGIN = ("alice", "alice-demo")
BANNER_END = "Ctrl-C stops"


# ------------------------------------------------------------------------------------------------ the process
@dataclass
class DemoRun:
    """One start of the demo: its process, its banner, its log file."""

    number: int
    process: asyncio.subprocess.Process
    stderr: Path
    launched: float
    banner: list[str] = field(default_factory=list)
    ready: float | None = None
    stopped_by: str | None = None
    stop_seconds: float | None = None
    _drain: asyncio.Task[None] | None = None

    def log_text(self) -> str:
        return self.stderr.read_text(errors="replace") if self.stderr.exists() else ""


class Demo:
    """Starts ``dynamictech demo`` again and again on one --data (and --database), each run logging to its file."""

    def __init__(self, data: Path, database: str | None, web_port: int, fix_port: int, drop_copy_port: int) -> None:
        self.data = data
        self.database = database
        self.ports = (web_port, fix_port, drop_copy_port)
        self.runs: list[DemoRun] = []

    @property
    def args(self) -> list[str]:
        web, fix, drop = self.ports
        args = ["demo", "--data", str(self.data), "--port", str(web), "--fix-port", str(fix),
                "--drop-copy-port", str(drop), "--orders-per-second", "0"]
        return args + (["--database", self.database] if self.database else [])

    @property
    def current(self) -> DemoRun:
        return self.runs[-1]

    async def start(self, timeout: float = 60.0) -> DemoRun:
        number = len(self.runs) + 1
        stderr = self.data.parent / f"demo-run-{number}.stderr.jsonl"
        with stderr.open("wb") as errors:
            process = await asyncio.create_subprocess_exec(
                *COMMAND, *self.args, stdout=asyncio.subprocess.PIPE, stderr=errors,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        run = DemoRun(number, process, stderr, time.monotonic())
        self.runs.append(run)
        assert process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    line = await process.stdout.readline()
                    if not line:
                        raise AssertionError(f"demo run {number} exited before its banner (rc {await process.wait()}):"
                                             f"\n{run.log_text()[-4000:]}")
                    run.banner.append(line.decode().rstrip())
                    if BANNER_END in run.banner[-1]:
                        break
        except TimeoutError:
            raise AssertionError(f"demo run {number} printed no banner in {timeout}s:\n{run.log_text()[-4000:]}") \
                from None
        run.ready = time.monotonic()

        async def drain() -> None:
            assert process.stdout is not None
            while await process.stdout.read(65536):
                pass
        run._drain = asyncio.create_task(drain())
        return run

    async def stop(self, how: signal.Signals, timeout: float = 30.0) -> int:
        """Signal the current run and wait for it; a run SIGINT does not stop within ``timeout`` is killed (and the
        return code says so: -9)."""
        run = self.current
        run.stopped_by = how.name
        began = time.monotonic()
        if run.process.returncode is None:
            run.process.send_signal(how)
        try:
            async with asyncio.timeout(timeout):
                code = await run.process.wait()
        except TimeoutError:
            run.process.kill()
            code = await run.process.wait()
            run.stopped_by = f"{how.name} (hung {timeout:.0f}s, then SIGKILL)"
        run.stop_seconds = time.monotonic() - began
        if run._drain is not None:
            with contextlib.suppress(Exception):
                await run._drain
        return code

    async def kill_all(self) -> None:
        for run in self.runs:
            if run.process.returncode is None:
                run.process.kill()
                await run.process.wait()


# ------------------------------------------------------------------------------------------------ FIX
@dataclass
class Received:
    at: float                   # time.monotonic() when it came
    message: Message

    def __getitem__(self, tag: int) -> str:
        value = self.message.get_str(tag)
        if value is None:
            raise KeyError(tag)
        return value

    def get(self, tag: int) -> str | None:
        return self.message.get_str(tag)

    @property
    def poss_dup(self) -> bool:
        """PossDupFlag (a session-level resend) or PossResend (the application says it may have sent it before):
        either way a receiver tells a repeat by its ExecID."""
        return self.message.get(43) == b"Y" or self.message.get(97) == b"Y"


class Recorder(Application):
    """Everything the two sessions hear, and every session-level Reject either side sends."""

    def __init__(self) -> None:
        self.messages: dict[str, list[Received]] = {TRADER.sender_comp_id: [], DROP_COPY.sender_comp_id: []}
        self.logons: Counter[str] = Counter()
        self.logouts: Counter[str] = Counter()
        self.rejects_received: list[tuple[str, Message]] = []
        self.rejects_sent: list[tuple[str, Message]] = []
        self.changed = asyncio.Event()

    async def on_logon(self, session_id: SessionID) -> None:
        self.logons[session_id.sender_comp_id] += 1
        self.changed.set()

    async def on_logout(self, session_id: SessionID) -> None:
        self.logouts[session_id.sender_comp_id] += 1

    def to_admin(self, message: Message, session_id: SessionID) -> None:
        if message.msg_type == b"A":
            message.set(553, session_id.sender_comp_id)
            message.set(554, FIX_PASSWORDS[session_id.sender_comp_id])
        if message.msg_type in (b"3", b"j"):
            self.rejects_sent.append((session_id.sender_comp_id, message))

    async def from_admin(self, message: Message, session_id: SessionID) -> None:
        if message.msg_type == b"3":
            self.rejects_received.append((session_id.sender_comp_id, message))

    async def from_app(self, message: Message, session_id: SessionID) -> None:
        self.messages[session_id.sender_comp_id].append(Received(time.monotonic(), message))
        if message.msg_type == b"j":
            self.rejects_received.append((session_id.sender_comp_id, message))
        self.changed.set()


def _config(session_id: SessionID, port: int, store: Path) -> SessionConfig:
    return SessionConfig(session_id=session_id, connection_type="initiator",
                         socket_connect_hosts=(("127.0.0.1", port),), heartbeat_interval=5, reconnect_interval=1,
                         file_store_path=str(store), data_dictionary=str(spec_path("FIX44.xml")))


class FixClient:
    """Our initiator with both sessions and a persistent store: it outlives every demo run and logs on again."""

    def __init__(self, fix_port: int, drop_copy_port: int, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.recorder = Recorder()
        self.initiator = SocketInitiator([_config(TRADER, fix_port, store), _config(DROP_COPY, drop_copy_port, store)],
                                         self.recorder, first_retry=0.1)

    async def start(self) -> None:
        await self.initiator.start()

    async def stop(self) -> None:
        await self.initiator.stop(logout_wait=1.0)

    def logged_on(self, session_id: SessionID) -> bool:
        connection = self.initiator.connections.get(session_id)
        return connection is not None and not connection.closed.is_set() and connection.session.logged_on

    async def wait_logged_on(self, logons: int, timeout: float = 20.0) -> None:
        """Both sessions logged on at least ``logons`` times in all (and on now)."""
        names = (TRADER.sender_comp_id, DROP_COPY.sender_comp_id)
        await until(lambda: all(self.recorder.logons[n] >= logons for n in names)
                    and self.logged_on(TRADER) and self.logged_on(DROP_COPY), timeout,
                    lambda: f"FIX logons {dict(self.recorder.logons)} (wanted {logons} each)")

    async def send(self, msg_type: bytes, fields: list[tuple[int, Any]]) -> None:
        await self.initiator.send_to_target(TRADER, msg_type, fields)

    def trader(self) -> list[Received]:
        return self.recorder.messages[TRADER.sender_comp_id]

    def drop_copy(self) -> list[Received]:
        return self.recorder.messages[DROP_COPY.sender_comp_id]


def now_stamp() -> str:
    return format_timestamp(time.time(), 3).decode()


def new_order(cl_ord_id: str, symbol: str, side: str, quantity: Decimal) -> list[tuple[int, Any]]:
    """A market NewOrderSingle as a trader's FIX client sends it (Side 1 buy, 2 sell; GTC)."""
    return [(11, cl_ord_id), (55, symbol), (54, side), (60, now_stamp()), (38, str(quantity)), (40, "1"),
            (59, "1")]


def status_request(cl_ord_id: str, symbol: str, side: str) -> list[tuple[int, Any]]:
    return [(11, cl_ord_id), (55, symbol), (54, side), (790, f"status-{cl_ord_id}")]


# ------------------------------------------------------------------------------------------------ REST
class Rest:
    """The web API as alice: a session cookie (the demo keeps sessions in memory: log in again after a restart)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.client: aiohttp.ClientSession | None = None

    async def login(self, timeout: float = 20.0) -> None:
        if self.client is not None:
            await self.client.close()
        self.client = aiohttp.ClientSession(base_url=self.base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                            timeout=aiohttp.ClientTimeout(total=15))
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                async with self.client.post("/api/session", json={"login": LOGIN[0], "password": LOGIN[1]}) as answer:
                    if answer.status == 200:
                        return
                    last = f"{answer.status} {await answer.text()}"
            except aiohttp.ClientError as error:
                last = repr(error)
            await asyncio.sleep(0.1)
        raise AssertionError(f"REST login as alice failed: {last}")

    async def place(self, body: dict[str, str]) -> tuple[int, Any]:
        """(HTTP status, JSON) of POST .../orders; (0, the error) when the connection failed."""
        assert self.client is not None
        try:
            async with self.client.post(f"/api/accounts/{ACCOUNT}/orders", json=body) as answer:
                try:
                    return answer.status, await answer.json(content_type=None)
                except ValueError:
                    return answer.status, await answer.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return 0, repr(error)

    async def get(self, path: str) -> Any:
        assert self.client is not None
        async with self.client.get(path) as answer:
            assert answer.status == 200, f"GET {path}: {answer.status} {await answer.text()}"
            return await answer.json()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


# ------------------------------------------------------------------------------------------------ helpers
async def until(condition: Any, timeout: float, what: Any) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")
        await asyncio.sleep(0.02)


def log_lines(text: str, *patterns: str) -> list[str]:
    """The demo's JSON log lines matching any of ``patterns`` (regular expressions)."""
    compiled = [re.compile(p) for p in patterns]
    return [line for line in text.splitlines() if any(p.search(line) for p in compiled)]
