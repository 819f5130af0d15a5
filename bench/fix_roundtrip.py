"""NewOrderSingle -> ExecutionReport round trips over loopback: our engine against itself, QuickFIX against itself.

    python bench/fix_roundtrip.py [--rounds 3] [--seconds 5] [--rate 2000] [--window 200] [--store file]
                                  [--engines ours,quickfix]

Each engine runs as two processes, an acceptor that answers every order with a fill and an initiator that offers
the load and times each round trip by ClOrdID (send to receipt of its ExecutionReport). Both pairs run in the
same invocation, alternating round by round, because the machine is shared and noisy. Two loads:
- fixed: orders paced at --rate per second for --seconds; p50 and p99 latency;
- saturation: --window orders in flight, a new one sent as each report arrives; completed round trips per second.
The load generator is the engine's own initiator: this measures the engine at both ends, as the issue asks. Both
engines keep their messages in a file store (QuickFIX's FileStore, our FileStore), as a production session does.
``--store sqlite`` (a database file per side) or ``--store <SQLAlchemy URL>`` (shared by both sides) puts ours on
its SQL store instead while QuickFIX stays on its FileStore: a measure of that store, not a comparison.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DICTIONARY = str(ROOT / "fix_specs" / "FIX44.xml")
ORDER_FIELDS = [(38, b"100000"), (40, b"1"), (54, b"1"), (55, b"EUR/USD"), (60, b"20261125-10:00:00.000")]


def report_fields(order_id: bytes) -> list[tuple[int, bytes]]:
    return [(6, b"1.0834"), (11, order_id), (14, b"100000"), (17, b"E" + order_id), (31, b"1.0834"),
            (32, b"100000"), (37, b"O" + order_id), (39, b"2"), (54, b"1"), (55, b"EUR/USD"), (150, b"F"),
            (151, b"0")]


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    latencies.sort()
    if not latencies:
        return {"count": 0, "p50_us": 0.0, "p99_us": 0.0, "per_second": 0.0}
    return {"count": len(latencies), "p50_us": statistics.median(latencies) * 1e6,
            "p99_us": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e6,
            "per_second": len(latencies) / elapsed}


# ---------------------------------------------------------------------------------------------- ours
def ours_config(role: str, port: int, store: str, kind: str):  # type: ignore[no-untyped-def]
    from fix_sessions.session_id import SessionID
    from fix_sessions.settings import SessionConfig

    sql_store_url = None if kind == "file" else f"sqlite:///{store}/fix.db" if kind == "sqlite" else kind
    if role == "acceptor":
        return SessionConfig(session_id=SessionID("FIX.4.4", "HUB", "LOAD"), connection_type="acceptor",
                             socket_accept_host="127.0.0.1", socket_accept_port=port, data_dictionary=DICTIONARY,
                             file_store_path=store, sql_store_url=sql_store_url, socket_reuse_address=True,
                             reset_on_logon=True)
    return SessionConfig(session_id=SessionID("FIX.4.4", "LOAD", "HUB"), connection_type="initiator",
                         socket_connect_hosts=(("127.0.0.1", port),), heartbeat_interval=30,
                         data_dictionary=DICTIONARY, file_store_path=store, sql_store_url=sql_store_url,
                         reset_on_logon=True)


def ours_acceptor(port: int, store: str, kind: str) -> None:
    import uvloop

    from fix_sessions.application import Application
    from fix_sessions.transport import SocketAcceptor

    class Fills(Application):
        async def from_app(self, message, session_id):  # type: ignore[no-untyped-def]
            await acceptor.send_to_target(session_id, b"8", report_fields(message.get(11) or b""))

    acceptor = SocketAcceptor([ours_config("acceptor", port, store, kind)], Fills())

    async def serve() -> None:
        await acceptor.start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    _quiet()
    uvloop.run(serve())


def ours_initiator(port: int, store: str, kind: str, mode: str, rate: int, seconds: float, window: int
                   ) -> dict[str, float]:
    import uvloop

    from fix_sessions.application import Application
    from fix_sessions.transport import SocketInitiator

    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    state = {"next": 0, "stop": False}

    class Load(Application):
        def __init__(self) -> None:
            self.logged_on = asyncio.Event()

        async def on_logon(self, session_id):  # type: ignore[no-untyped-def]
            self.logged_on.set()

        async def from_app(self, message, session_id):  # type: ignore[no-untyped-def]
            started = sent.pop(message.get(11) or b"", None)
            if started is not None:
                latencies.append(time.perf_counter() - started)
                if mode == "saturate" and not state["stop"]:
                    await send_one()

    load = Load()
    initiator = SocketInitiator([ours_config("initiator", port, store, kind)], load)
    session_id = next(iter(initiator.sessions))

    async def send_one() -> None:
        order_id = b"%d" % state["next"]
        state["next"] += 1
        sent[order_id] = time.perf_counter()
        await initiator.send_to_target(session_id, b"D", [(11, order_id), *ORDER_FIELDS])

    async def run() -> dict[str, float]:
        await initiator.start()
        await asyncio.wait_for(load.logged_on.wait(), 30)
        start = time.perf_counter()
        if mode == "fixed":
            total = int(rate * seconds)
            for number in range(total):
                due = start + number / rate
                delay = due - time.perf_counter()
                if delay > 0.0005:
                    await asyncio.sleep(delay)
                await send_one()
        else:
            for _ in range(window):
                await send_one()
            await asyncio.sleep(seconds)
            state["stop"] = True
        elapsed = time.perf_counter() - start
        deadline = time.perf_counter() + 5
        while sent and mode == "fixed" and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        result = summary(latencies, elapsed)
        await initiator.stop()
        return result

    _quiet()
    return uvloop.run(run())


def _quiet() -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


# ---------------------------------------------------------------------------------------------- QuickFIX
def quickfix_settings(role: str, port: int, store: str) -> str:
    sender, target = ("HUB", "LOAD") if role == "acceptor" else ("LOAD", "HUB")
    text = (f"[DEFAULT]\nConnectionType={role}\nFileStorePath={store}\nStartTime=00:00:00\nEndTime=00:00:00\n"
            f"DataDictionary={DICTIONARY}\nHeartBtInt=30\nResetOnLogon=Y\nReconnectInterval=1\n\n[SESSION]\n"
            f"BeginString=FIX.4.4\nSenderCompID={sender}\nTargetCompID={target}\n")
    if role == "acceptor":
        return text + f"SocketAcceptPort={port}\nSocketReuseAddress=Y\n"
    return text + f"SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"


def quickfix_engine(role: str, port: int, store: str, application):  # type: ignore[no-untyped-def]
    import quickfix as fix

    path = Path(store) / f"{role}.cfg"
    path.write_text(quickfix_settings(role, port, store))
    settings = fix.SessionSettings(str(path))
    kind = fix.SocketAcceptor if role == "acceptor" else fix.SocketInitiator
    return kind(application, fix.FileStoreFactory(settings), settings, fix.ScreenLogFactory(False, False, False))


def quickfix_application(on_app, on_logon=None):  # type: ignore[no-untyped-def]
    import quickfix as fix

    class App(fix.Application):  # type: ignore[misc]
        def onCreate(self, session_id): pass  # noqa: E704,N802
        def onLogon(self, session_id):  # noqa: N802
            if on_logon:
                on_logon(session_id)
        def onLogout(self, session_id): pass  # noqa: E704,N802
        def toAdmin(self, message, session_id): pass  # noqa: E704,N802
        def fromAdmin(self, message, session_id): pass  # noqa: E704,N802
        def toApp(self, message, session_id): pass  # noqa: E704,N802
        def fromApp(self, message, session_id):  # noqa: N802
            on_app(message, session_id)
    return App()


def quickfix_message(msg_type: str, fields: list[tuple[int, bytes]]):  # type: ignore[no-untyped-def]
    import quickfix as fix

    message = fix.Message()
    message.getHeader().setField(fix.MsgType(msg_type))
    for tag, value in fields:
        message.setField(tag, value.decode())
    return message


def quickfix_acceptor(port: int, store: str) -> None:
    import quickfix as fix

    def answer(message, session_id):  # type: ignore[no-untyped-def]
        fix.Session.sendToTarget(quickfix_message("8", report_fields(message.getField(11).encode())), session_id)

    engine = quickfix_engine("acceptor", port, store, quickfix_application(answer))
    engine.start()
    print("ready", flush=True)
    threading.Event().wait()


def quickfix_initiator(port: int, store: str, mode: str, rate: int, seconds: float, window: int
                       ) -> dict[str, float]:
    import quickfix as fix

    sent: dict[str, float] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    logged_on = threading.Event()
    state = {"next": 0, "stop": False, "session": None}

    def send_one() -> None:
        with lock:
            order_id = str(state["next"])
            state["next"] += 1
            sent[order_id] = time.perf_counter()
        fix.Session.sendToTarget(quickfix_message("D", [(11, order_id.encode()), *ORDER_FIELDS]), state["session"])

    def on_app(message, session_id):  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        with lock:
            started = sent.pop(message.getField(11), None)
            if started is not None:
                latencies.append(now - started)
        if started is not None and mode == "saturate" and not state["stop"]:
            send_one()

    def on_logon(session_id):  # type: ignore[no-untyped-def]
        state["session"] = session_id
        logged_on.set()

    engine = quickfix_engine("initiator", port, store, quickfix_application(on_app, on_logon))
    engine.start()
    logged_on.wait(30)
    start = time.perf_counter()
    if mode == "fixed":
        for number in range(int(rate * seconds)):
            delay = start + number / rate - time.perf_counter()
            if delay > 0.0005:
                time.sleep(delay)
            send_one()
    else:
        for _ in range(window):
            send_one()
        time.sleep(seconds)
        state["stop"] = True
    elapsed = time.perf_counter() - start
    deadline = time.perf_counter() + 5
    while sent and mode == "fixed" and time.perf_counter() < deadline:
        time.sleep(0.01)
    with lock:
        result = summary(list(latencies), elapsed)
    engine.stop()
    return result


# ---------------------------------------------------------------------------------------------- driver
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(engine: str, mode: str, args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as store:
        acceptor = subprocess.Popen([sys.executable, __file__, "_acceptor", engine, str(port), store + "/a",
                                     args.store], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            assert acceptor.stdout is not None and acceptor.stdout.readline().strip() == b"ready"
            output = subprocess.run(
                [sys.executable, __file__, "_initiator", engine, str(port), store + "/i", args.store, mode,
                 str(args.rate), str(args.seconds), str(args.window)], capture_output=True, check=True, timeout=120,
            ).stdout
            return json.loads(output.splitlines()[-1])
        finally:
            acceptor.kill()
            acceptor.wait()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_acceptor", "_initiator"):
        role, engine, port, store, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
        Path(store).mkdir(parents=True, exist_ok=True)
        if role == "_acceptor" and engine == "ours":
            ours_acceptor(port, store, kind)
            return
        if role == "_acceptor":
            quickfix_acceptor(port, store)
            return
        mode, rate, seconds, window = sys.argv[6], int(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
        result = (ours_initiator(port, store, kind, mode, rate, seconds, window) if engine == "ours"
                  else quickfix_initiator(port, store, mode, rate, seconds, window))
        print(json.dumps(result), flush=True)
        return
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--seconds", type=float, default=5)
    options.add_argument("--rate", type=int, default=2000)
    options.add_argument("--window", type=int, default=200)
    options.add_argument("--store", default="file", help="ours on: file, sqlite, or a SQLAlchemy URL")
    options.add_argument("--engines", default="ours,quickfix", help="comma-separated: ours, quickfix")
    args = options.parse_args()
    engines = args.engines.split(",")
    print(f"# python bench/fix_roundtrip.py --rounds {args.rounds} --seconds {args.seconds} --rate {args.rate} "
          f"--window {args.window} --store {args.store} --engines {args.engines}")
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for number in range(1, args.rounds + 1):
        for engine in engines:
            for mode in ("fixed", "saturate"):
                result = measure(engine, mode, args)
                results.setdefault((engine, mode), []).append(result)
                print(f"round {number} {engine:<8} {mode:<8} p50 {result['p50_us']:8.0f} µs  p99 "
                      f"{result['p99_us']:8.0f} µs  {result['per_second']:8,.0f} round trips/s  "
                      f"({result['count']:.0f} done)", flush=True)
    print("median over rounds:")
    for (engine, mode), runs in results.items():
        print(f"  {engine:<8} {mode:<8} p50 {statistics.median(r['p50_us'] for r in runs):8.0f} µs  "
              f"p99 {statistics.median(r['p99_us'] for r in runs):8.0f} µs  "
              f"{statistics.median(r['per_second'] for r in runs):8,.0f} round trips/s")
    if {"ours", "quickfix"} <= set(engines):
        ours = statistics.median(r["per_second"] for r in results[("ours", "saturate")])
        theirs = statistics.median(r["per_second"] for r in results[("quickfix", "saturate")])
        print(f"saturation: ours is {ours / theirs:.1f}x QuickFIX's rate")


if __name__ == "__main__":
    main()
