"""``dynamictech fix-echo``: QuickFIX's acceptance-test peer, the session layer's echo application on an acceptor
from a QuickFIX-style .cfg file."""
from __future__ import annotations

import argparse

from dynamictech.runtime import run, stop_signal
from fix_sessions.echo import EchoApplication
from fix_sessions.settings import load_settings
from fix_sessions.transport import SocketAcceptor


async def serve(config_path: str) -> None:
    stop = stop_signal()   # before the banner: whoever reads it may signal at once
    settings = load_settings(config_path)
    application = EchoApplication()
    acceptor = SocketAcceptor(settings.acceptors(), application)
    application.acceptor = acceptor
    await acceptor.start()
    print(f"fix-echo: listening on {', '.join(map(str, acceptor.ports))}", flush=True)
    await stop.wait()
    await acceptor.stop()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("fix-echo", help="run the FIX echo acceptor (QuickFIX acceptance-test peer)")
    parser.add_argument("--config", required=True, help="QuickFIX-style .cfg file with acceptor sessions")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    run(serve(args.config))
    return 0
