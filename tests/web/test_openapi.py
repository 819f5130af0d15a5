"""The OpenAPI document at /api/openapi.json matches what the server does: schemathesis generates requests from it
against a real `dynamictech demo` process and runs all of its checks on every answer (status, content type, body
and headers against the document, bad input refused, good input accepted, nothing answering 500)."""
from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.net import free_port


@pytest.fixture(scope="module")
def demo_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("demo")
    process = subprocess.Popen([sys.executable, "-c", "from dynamictech.cli import main; raise SystemExit(main())",
                                "demo", "--port", str(port), "--data", str(data), "--fix-port", "0",
                                "--drop-copy-port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert "running" in banner, banner
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        assert process.wait(20) == 0


@pytest.fixture(scope="module")
def session_cookie(demo_process: str) -> dict[str, str]:
    answer = requests.post(f"{demo_process}/api/session", json={"login": "alice", "password": "alice-demo"},
                           timeout=10)
    assert answer.status_code == 200
    return {"dt_session": answer.cookies["dt_session"]}


@pytest.mark.timeout(660)   # the run's own limit is 600 s; it takes one to four minutes, more on a loaded machine
def test_schemathesis_with_all_checks_finds_nothing(demo_process: str, session_cookie: dict[str, str],
                                                   tmp_path: Path) -> None:
    """schemathesis's own runner, as a QA engineer would run it: every check (status codes, content types, response
    schemas and headers, negative data rejected, positive data accepted, auth ignored, use after free...), in every
    phase including the stateful one, with a fixed seed so that a failure here replays."""
    run = subprocess.run([sys.executable, "-m", "schemathesis.cli", "run", f"{demo_process}/api/openapi.json",
                          "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
                          "-H", f"Cookie: dt_session={session_cookie['dt_session']}",
                          # logging out would end the session every other generated request relies on
                          "--exclude-path", "/api/session", "--max-examples", "30", "--workers", "1",
                          "--seed", "20261203", "--request-timeout", "10", "--no-color"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated is not None and int(generated[1]) >= 500, run.stdout[-2000:]
    assert "Stateful (disabled)" not in run.stdout, "the stateful phase (orders placed, then amended and canceled) ran"


def test_the_document_is_served_and_names_every_route(demo_process: str) -> None:
    document = requests.get(f"{demo_process}/api/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/accounts/{account_id}/orders", "/api/bars", "/api/layout"} <= set(document["paths"])
