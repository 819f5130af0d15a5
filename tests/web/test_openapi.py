"""The OpenAPI document at /api/openapi.json matches what the server does: schemathesis generates requests from it
against a real `dynamictech demo` process and checks every answer's status, content type and body against the
document (and that nothing answers 500)."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

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


def test_every_operation_answers_as_documented(demo_process: str, session_cookie: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{demo_process}/api/openapi.json")
    # Logging out would end the session every other generated request relies on.
    operations = [result.ok() for result in schema.exclude(path="/api/session").get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_as_documented(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(cookies=session_cookie, timeout=10)

        answers_as_documented()


def test_the_document_is_served_and_names_every_route(demo_process: str) -> None:
    document = requests.get(f"{demo_process}/api/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/accounts/{account_id}/orders", "/api/bars", "/api/layout"} <= set(document["paths"])
