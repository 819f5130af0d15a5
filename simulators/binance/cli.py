"""`dynamictech sim binance`: run the Binance simulator until SIGINT/SIGTERM and print where it listens."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from simulators.binance.server import TEST_API_KEY, TEST_API_SECRET, BinanceSimulator
from simulators.runtime import run as run_main
from simulators.runtime import stop_signal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--walk-interval", type=float, default=0.5,
                        help="seconds between random-walk price moves; 0 keeps prices still")
    parser.add_argument("--seed", type=int, default=None, help="random-walk seed, for a repeatable session")
    parser.add_argument("--state", type=Path, default=None,
                        help="keep prices, update ids and order/trade id counters in this file, to start from it again")


def run(args: argparse.Namespace) -> int:
    run_main(_serve(args))   # JSON logs on stderr; stdout carries the banner
    return 0


async def _serve(args: argparse.Namespace) -> None:
    # The account's key pair comes from the environment; the fixture pair is for local QA only. A FIX API key
    # (BINANCE_SIM_FIX_API_KEY, with its Ed25519 public key in PEM as BINANCE_SIM_FIX_PUBLIC_KEY) is optional.
    simulator = BinanceSimulator(api_key=os.environ.get("BINANCE_SIM_API_KEY", TEST_API_KEY),
                                 api_secret=os.environ.get("BINANCE_SIM_API_SECRET", TEST_API_SECRET),
                                 host=args.host, port=args.port, walk_interval=args.walk_interval or None,
                                 seed=args.seed, state_path=args.state)
    if os.environ.get("BINANCE_SIM_FIX_API_KEY") and os.environ.get("BINANCE_SIM_FIX_PUBLIC_KEY"):
        simulator.register_fix_key(os.environ["BINANCE_SIM_FIX_API_KEY"], os.environ["BINANCE_SIM_FIX_PUBLIC_KEY"])
    stop = stop_signal()
    await simulator.start()
    print(f"binance simulator: REST {simulator.rest_url}  streams {simulator.stream_url}/stream  "
          f"WebSocket API {simulator.ws_api_url}  FIX order entry tcp://{simulator.host}:{simulator.fix_port}  "
          f"scenario API {simulator.rest_url}/sim/", flush=True)
    try:
        await stop.wait()
    finally:
        await simulator.stop()
