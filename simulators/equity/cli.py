"""``dynamictech sim equity``: run the simulated equity broker until SIGINT or SIGTERM."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from simulators.equity.clock import MarketClock
from simulators.equity.simulator import EquitySimulator
from simulators.runtime import run as run_main
from simulators.runtime import stop_signal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9882, help="FIX port; 0 picks a free one (default 9882)")
    parser.add_argument("--sender-comp-id", default="EQBROKER", help="the broker's CompID (default EQBROKER)")
    parser.add_argument("--target-comp-id", default="DYNAMICTECH", help="the hub's CompID (default DYNAMICTECH)")
    parser.add_argument("--clock", type=dt.datetime.fromisoformat, default=None,
                        help="start the market clock here, e.g. 2026-11-24T10:00:00-05:00 (default: real time)")
    parser.add_argument("--walk-interval", type=float, default=1.0,
                        help="seconds between random-walk price steps; 0 keeps prices still (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for a repeatable walk")
    parser.add_argument("--state", type=Path, default=None,
                        help="keep the last prices and OrderID/ExecID counters in this file, to start from it again")


def run(args: argparse.Namespace) -> int:
    if args.clock is not None and args.clock.tzinfo is None:
        raise SystemExit("--clock needs a UTC offset, e.g. 2026-11-24T10:00:00-05:00")
    run_main(_serve(args))
    return 0


async def _serve(args: argparse.Namespace) -> None:
    simulator = EquitySimulator(
        args.host, args.port, sender_comp_id=args.sender_comp_id, target_comp_id=args.target_comp_id,
        clock=MarketClock(args.clock), walk_interval=args.walk_interval or None, seed=args.seed,
        state_path=args.state)
    stop = stop_signal()
    await simulator.start()
    print(f"equity simulator: FIX 4.2 {args.sender_comp_id}->{args.target_comp_id} listening on "
          f"{args.host}:{simulator.port}", flush=True)
    await stop.wait()
    await simulator.stop()
