"""`make audit` (.ci/audit.py): what fails the build and what is only reported.

pip-audit is replaced by a stand-in printing a fixed report: the decision is under test,
not the vulnerability service (which this machine's PyPI mirror does not serve)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _audit(tmp_path: Path, report: Any, **env: str) -> subprocess.CompletedProcess[str]:
    stand_in = tmp_path / "pip-audit"
    stand_in.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(report))})\n")
    stand_in.chmod(0o755)
    return subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "audit.py")],
        env={**os.environ, "PIP_AUDIT": str(stand_in), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _dep(name: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "version": "1.0", "vulns": list(vulns)}


def _vuln(ident: str, *fixes: str) -> dict[str, Any]:
    return {"id": ident, "aliases": [], "fix_versions": list(fixes), "description": "x"}


def test_a_clean_report_passes(tmp_path):
    result = _audit(tmp_path, {"dependencies": [_dep("django"), _dep("celery")]})
    assert result.returncode == 0
    assert "2 of 2 installed packages audited" in result.stdout


def test_a_vulnerability_with_a_fix_fails_the_build_and_names_it(tmp_path):
    report = {"dependencies": [_dep("django", _vuln("PYSEC-2099-1", "5.2.99"))]}
    result = _audit(tmp_path, report)
    assert result.returncode == 1
    assert "django 1.0: PYSEC-2099-1 (fixed in: 5.2.99) - FIX AVAILABLE" in result.stdout


def test_a_vulnerability_without_a_fix_is_listed_but_does_not_fail(tmp_path):
    report = {"dependencies": [_dep("lxml", _vuln("GHSA-xxxx-yyyy-zzzz"))]}
    result = _audit(tmp_path, report)
    assert result.returncode == 0
    assert "GHSA-xxxx-yyyy-zzzz (fixed in: none yet) - no fix released yet" in result.stdout


@pytest.mark.parametrize("strict", ["0", "1"])
def test_a_service_that_answers_for_nothing_is_reported_not_passed_off_as_clean(tmp_path, strict):
    skipped = {"name": "django", "version": "1.0", "skip_reason": "Dependency not found on PyPI"}
    result = _audit(tmp_path, {"dependencies": [skipped]}, AUDIT_STRICT=strict)
    assert "NOT AUDITED" in result.stdout
    assert "no vulnerability" not in result.stdout
    assert result.returncode == int(strict)


def test_an_unreadable_report_is_reported(tmp_path):
    result = _audit(tmp_path, "not a report")
    assert "NOT AUDITED" in result.stdout
