"""The ``dynamictech`` command: one subcommand per job, each registered by the package that owns it."""
from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# Each module exposes ``register(subparsers)`` and sets ``func`` on its parser.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "dynamictech.fix_echo",
    "engine.storage.cli",
    "simulators.cli",
    "dynamictech.demo",
    "dynamictech.serve",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dynamictech", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
