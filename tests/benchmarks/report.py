"""Write BENCHMARKS.md from every build/bench/*.json (the last step of `make bench`).

    .venv/bin/python tests/benchmarks/report.py [--out BENCHMARKS.md]

Each benchmark script writes build/bench/<name>.json (shape in the module docstring of
bench_api.py and /work/notes/bench_json.md): figures with value, unit, baseline, ratio,
target and met. This page lists them all with the machine, PostgreSQL version and corpus
size, says for every target whether it was met and by how much it was missed, and keeps
the previous page's run below the new one ("Previous run"), so two runs can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "build" / "bench"
PREVIOUS = "## Previous run"
COMMAND = "make bench"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        memory = "unknown RAM"
    return f"{cpu}, {os.cpu_count()} cores, {memory}, {platform.system()} {platform.release()}"


def postgres_version(results: list[dict[str, Any]]) -> str:
    for result in results:
        if result.get("postgres"):
            return str(result["postgres"])
    try:
        out = subprocess.run(
            ["psql", "--version"], capture_output=True, text=True, check=False, timeout=5
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _verdict(figure: dict[str, Any]) -> str:
    met = figure.get("met")
    if met is None:
        return ""
    if met:
        return "met"
    miss = _missed_by(figure)
    return f"**missed**{f' ({miss})' if miss else ''}"


def _missed_by(figure: dict[str, Any]) -> str:
    """How far a figure is from its target, read from the target text where it can be."""
    target = figure.get("target") or ""
    value, ratio = figure.get("value"), figure.get("ratio")
    found = re.search(r"within (\d+(?:\.\d+)?)x", target)
    if found and ratio:
        return f"{ratio / float(found.group(1)):.1f}x over the {found.group(1)}x allowed"
    found = re.search(r"[<≤]=?\s*(\d+(?:\.\d+)?)\s*ms", target)
    if found and isinstance(value, int | float):
        limit = float(found.group(1))
        return f"{value - limit:,.1f} ms over, {value / limit:.1f}x the limit"
    found = re.search(r"(?:at least|>=?)\s*(\d+(?:\.\d+)?)", target)
    if found and isinstance(value, int | float):
        want = float(found.group(1))
        return f"{want - value:,.1f} short, {value / want:.2f}x of the target"
    return ""


def render(results: list[dict[str, Any]], now: datetime) -> str:
    corpus = next((r["corpus_claims"] for r in results if r.get("corpus_claims")), None)
    lines = [
        "# Benchmarks",
        "",
        f"Run {now:%Y-%m-%d %H:%M} UTC with `{COMMAND}` (written by tests/benchmarks/report.py "
        "from build/bench/*.json; every ratio is to a floor measured in the same run).",
        "",
        f"- Machine: {machine()}",
        f"- PostgreSQL: {postgres_version(results)}",
        f"- Python: {platform.python_version()}",
    ]
    if corpus:
        lines.append(f"- Corpus: {corpus:,} claims (`manage.py generate_corpus`)")
    speed = next(
        (
            figure.get("baseline_value")
            for result in results
            for figure in result.get("figures", [])
            if str(figure.get("baseline", "")).startswith("bare re.findall")
        ),
        None,
    )
    if speed:
        # Machines of the same kind have differed threefold from one session to the next.
        lines.append(
            f"- CPU speed reference: bare `re.findall` over the extraction corpus, "
            f"{_number(speed)} words/s on one core; compare it with the previous run's "
            "before comparing milliseconds"
        )
    lines.append("")
    missed: list[str] = []
    for result in results:
        lines += [f"## {result.get('title', result.get('name'))}", ""]
        if result.get("setup"):
            lines += [f"{result['setup']}.", ""]
        lines += [
            "| figure | value | baseline | ratio | target | result | note |",
            "|---|---:|---|---:|---|---|---|",
        ]
        for figure in result.get("figures", []):
            unit = figure.get("unit") or ""
            base = figure.get("baseline") or ""
            if base and figure.get("baseline_value") is not None:
                base = f"{base}: {_number(figure['baseline_value'])} {unit}"
            ratio = figure.get("ratio")
            row = [
                str(figure.get("metric", "")),
                f"{_number(figure.get('value'))} {unit}".strip(),
                base,
                f"{ratio:.2f}x" if isinstance(ratio, int | float) else "",
                figure.get("target") or "",
                _verdict(figure),
                (figure.get("note") or "").replace("|", "/"),
            ]
            lines.append("| " + " | ".join(row) + " |")
            if figure.get("met") is False:
                missed.append(
                    f"- {result.get('name')}: {figure.get('metric')} — {_verdict(figure)}"
                )
        lines.append("")
        notes = result.get("notes") or []
        if notes:
            lines += ["Why:", "", *[f"- {note}" for note in notes], ""]
    lines += ["## Targets missed", ""]
    lines += missed or ["None."]
    lines += [
        "",
        "## Reproduce",
        "",
        "```",
        COMMAND,
        "```",
        "",
        "`make bench` installs the `bench` extra (locust), builds the 1,000,000-claim corpus in "
        "the `factcheck_bench` database the first time (BENCH_DATABASE_URL to change it; "
        "reused afterwards), runs every tests/benchmarks/bench_*.py and then this report.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--bench-dir", type=Path, default=BENCH)
    args = parser.parse_args(argv)
    results = []
    for path in sorted(args.bench_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            print(f"skipping {path.name}: {exc}", file=sys.stderr)
            continue
        if isinstance(data, dict) and "figures" in data:
            results.append(data)
    if not results:
        print(f"No results in {args.bench_dir}; run `make bench`.", file=sys.stderr)
        return 1
    page = render(results, datetime.now(UTC))
    if args.out.exists():
        # Keep the last run (without its own "Previous run") for comparison.
        previous = args.out.read_text().split(PREVIOUS, 1)[0].rstrip()
        previous = re.sub(r"^#", "###", previous, flags=re.M)
        page += f"\n{PREVIOUS}\n\n{previous}\n"
    args.out.write_text(page)
    print(f"wrote {args.out} ({len(results)} benchmark(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
