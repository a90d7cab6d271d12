"""`make audit`: known vulnerabilities in the installed dependencies (pip-audit).

Fails (exit 1) only for a vulnerability that has a fixed version to upgrade to and is not
explained in IGNORED. A vulnerability with no fix yet is listed, not fatal: CI cannot make
it go away. When the vulnerability service cannot be reached, or answers for none of the
packages (a mirror that serves no per-version data), it says so plainly and exits 0, unless
AUDIT_STRICT=1, so a network problem never reads as a clean bill of health nor as a
mysterious failure.

Uses PyPI's own vulnerability data (`--vulnerability-service pypi`): PyPI is the one
service every machine that installs this project can reach.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Vulnerability id → why it does not apply or cannot be fixed yet (keep in step with the
# README's Security section).
IGNORED: dict[str, str] = {}


def main() -> int:
    # PIP_AUDIT: another pip-audit executable (the tests use a stand-in with a fixed report).
    pip_audit = os.environ.get("PIP_AUDIT") or str(Path(sys.executable).with_name("pip-audit"))
    command = [
        pip_audit,
        "--vulnerability-service",
        "pypi",
        "--skip-editable",  # this project itself is not on PyPI
        "--progress-spinner",
        "off",
        "--format",
        "json",
        "--timeout",
        "30",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _unavailable(f"pip-audit could not run: {exc}")
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        stderr = result.stderr.strip().splitlines()
        return _unavailable(f"pip-audit gave no report: {stderr[-1] if stderr else 'no output'}")

    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    print(f"pip-audit: {len(audited)} of {len(dependencies)} installed packages audited.")
    if dependencies and not audited:
        reason = skipped[0]["skip_reason"]
        return _unavailable(
            "the vulnerability service answered for none of them (first reason: "
            f"{reason!r}). A PyPI mirror or proxy that serves no per-version JSON does this."
        )
    if skipped:
        print(f"  not audited ({len(skipped)}): " + ", ".join(d["name"] for d in skipped))

    fatal = 0
    for dependency in audited:
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
            explained = next((IGNORED[i] for i in ids if i in IGNORED), None)
            if explained:
                verdict = f"explained: {explained}"
            elif vuln.get("fix_versions"):
                verdict = "FIX AVAILABLE: upgrade"
                fatal += 1
            else:
                verdict = "no fix released yet (not failing the build)"
            print(
                f"  {dependency['name']} {dependency['version']}: {vuln['id']} "
                f"(fixed in: {fixes}) - {verdict}"
            )
    if fatal:
        print(f"pip-audit: {fatal} vulnerabilities have a fix; upgrade or explain them.")
        return 1
    print("pip-audit: no vulnerability with an available fix.")
    return 0


def _unavailable(why: str) -> int:
    strict = os.environ.get("AUDIT_STRICT", "0") == "1"
    print(f"pip-audit: NOT AUDITED - {why}")
    print("  Nothing is known either way. Run `make audit` where pypi.org answers in full.")
    return 1 if strict else 0


if __name__ == "__main__":
    sys.exit(main())
