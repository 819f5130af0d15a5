"""``dynamictech sim fx-lp|binance|equity``: one venue simulator in the foreground, for QA and for pointing an
adapter at while developing. Each simulator's module owns its options (``add_arguments``) and its run loop."""
from __future__ import annotations

import argparse
import importlib

SIMULATORS = {"fx-lp": "simulators.fx_lp.cli", "binance": "simulators.binance.cli", "equity": "simulators.equity.cli"}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sim = subparsers.add_parser("sim", help="run a venue simulator (FIX or REST/WebSocket, as the venue speaks)")
    kinds = sim.add_subparsers(dest="simulator", required=True)
    for name, module_name in SIMULATORS.items():
        module = importlib.import_module(module_name)
        parser = kinds.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(parser)
        parser.set_defaults(func=module.run)
