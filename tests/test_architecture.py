"""The structure docs/ARCHITECTURE.md describes, checked: the import rules, a project that stands on its own, and
one catalogue of rejection codes."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from engine.domain.rejects import HUB_CODES, VENUE_CODES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fix_sessions", "fix_specs", "engine", "routing", "adapters", "simulators", "gateway", "web",
            "dynamictech", "migrations", "bench", "tests")


def _tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def test_every_import_rule_holds() -> None:
    """import-linter's contracts in setup.cfg: lazy and TYPE_CHECKING imports count too."""
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and " KEPT" in result.stdout


def test_nothing_in_the_repo_refers_to_a_folder_outside_it() -> None:
    outside = "shared"   # the planning side's folder beside a checkout; a user's clone has none
    needles = ("../" + outside, f'/ "{outside}"', "/work/" + outside)
    offenders = []
    for path in _tracked():
        if path.suffix not in {".py", ".md", ".cfg", ".toml", ".ini", ".txt", ".js", ".json", ".sh"} \
                and path.name != "run":
            continue
        text = path.read_text(errors="replace")
        for needle in needles:
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def _raised_codes() -> set[tuple[str, str]]:
    """Every literal code given to Rejection(...) in the hub's packages, with where it is."""
    found = set()
    for package in ("engine", "routing", "backoffice", "gateway", "web", "dynamictech"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Rejection" and node.args \
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.add((node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_every_rejection_code_the_hub_raises_is_in_the_catalogue() -> None:
    raised = _raised_codes()
    assert len(raised) > 20, "the scan finds the pipeline's and the OMS's rejections"
    unknown = sorted(where for code, where in raised if code not in HUB_CODES and code not in VENUE_CODES)
    assert unknown == []


def test_a_venue_refusal_is_retryable_only_where_another_venue_could_take_the_order() -> None:
    retry = {code for code, entry in VENUE_CODES.items() if entry.retryable}
    assert retry == {"unknown_symbol", "insufficient_funds", "over_limit", "unsupported", "rate_limited",
                     "venue_unavailable"}


def test_the_typed_layers_pass_mypy() -> None:
    """fix_sessions, engine, routing, backoffice and gateway, at the strictness setup.cfg states."""
    result = subprocess.run([sys.executable, "-m", "mypy", "fix_sessions", "engine", "routing", "backoffice",
                             "gateway"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
