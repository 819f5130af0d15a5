"""``dynamictech sim fx-lp``: run the fx-lp simulator until SIGINT/SIGTERM; it prints the address it listens on.

Credentials default to demo/demo (a simulator's, not a secret); FX_LP_USERNAME and FX_LP_PASSWORD override them.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from simulators.fx_lp.lp import FxLPConfig, serve
from simulators.fx_lp.pricing import SPECS
from simulators.runtime import run as run_main


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=9880, help="port for both sessions (default 9880; 0: any)")
    parser.add_argument("--dialect", choices=("primexm", "fix44"), default="primexm",
                        help="primexm: W then MassQuote (default); fix44: W then MarketDataIncrementalRefresh")
    parser.add_argument("--comp-id", default="PXM", help="the LP's SenderCompID (default PXM)")
    parser.add_argument("--quote-client", default="DT_QUOTE", help="the client's quote SenderCompID")
    parser.add_argument("--trade-client", default="DT_TRADE", help="the client's trade SenderCompID")
    parser.add_argument("--symbols", default=",".join(SPECS),
                        help="comma-separated symbols to quote (default: all it knows)")
    parser.add_argument("--tick-interval", type=float, default=0.25, help="seconds between price steps")
    parser.add_argument("--quote-id-every", type=int, default=0,
                        help="every Nth MassQuote asks for an acknowledgement (0: never)")
    parser.add_argument("--updates", choices=("i", "X"), default=None,
                        help="updates after the snapshot: i MassQuote, X MarketDataIncrementalRefresh "
                             "(default: the dialect's)")
    parser.add_argument("--issuer", action=argparse.BooleanOptionalAction, default=None,
                        help="Issuer(106) on each snapshot and X entry (default: with primexm, not with fix44)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable prices")
    parser.add_argument("--state", type=Path, default=None,
                        help="keep the last prices and ExecID counter in this file, to start from it again")


def run(args: argparse.Namespace) -> int:
    symbols = tuple(s.strip() for s in args.symbols.split(",") if s.strip())
    unknown = [s for s in symbols if s not in SPECS]
    if unknown:
        print(f"fx-lp: unknown symbols {', '.join(unknown)} (known: {', '.join(SPECS)})")
        return 2
    config = FxLPConfig(host=args.host, port=args.port, comp_id=args.comp_id, quote_client=args.quote_client,
                        trade_client=args.trade_client, dialect=args.dialect, symbols=symbols,
                        tick_interval=args.tick_interval, quote_id_every=args.quote_id_every,
                        updates=args.updates, issuer=args.issuer, seed=args.seed,
                        state_path=args.state,
                        username=os.environ.get("FX_LP_USERNAME", "demo"),
                        password=os.environ.get("FX_LP_PASSWORD", "demo"))
    run_main(serve(config))
    return 0
