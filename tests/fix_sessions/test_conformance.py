"""Every QuickFIX acceptance test (FIX.4.2, FIX.4.4, validate) against a real `dynamictech fix-echo` process."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fix_sessions.at_runner import load_formats, run_definition
from tests.fix_sessions.echo_process import fix_echo
from tests.net import free_port

REPO = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).with_name("quickfix_at") / "definitions"
AT_CONFIG = Path(__file__).with_name("at.cfg")
DEFINITIONS = sorted(
    p for folder in ("fix44", "fix42", "validate") for p in (SUITE / "server" / folder).glob("*.def")
)



@pytest.fixture(scope="module")
def echo_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`dynamictech fix-echo` on QuickFIX's acceptance-test configuration, with only port and store moved."""
    workdir = tmp_path_factory.mktemp("fix-echo")
    port = free_port()
    text = AT_CONFIG.read_text()
    text = re.sub(r"(?m)^SocketAcceptPort=.*$", f"SocketAcceptPort={port}", text)
    text = re.sub(r"(?m)^FileStorePath=.*$", f"FileStorePath={workdir / 'store'}", text)
    config = workdir / "at.cfg"
    config.write_text(text)
    with fix_echo(config, port, workdir / "echo.log"):
        yield port


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_quickfix_acceptance(definition: Path, echo_port: int) -> None:
    run_definition(definition, echo_port, load_formats(SUITE / "fields.fmt"))
    # Let the acceptor see the close before the next definition logs on to the same session.
    time.sleep(0.05)


def test_every_definition_is_collected() -> None:
    assert len(DEFINITIONS) == 59 + 58 + 1
