"""Print what the extractor finds in a text: `manage.py extract FILE|-` (`--json` for JSON)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.extraction import extract


class Command(BaseCommand):
    help = "Extract claims, attributions, figures and actors from a text file (or - for stdin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A UTF-8 text file, or - to read standard input")
        parser.add_argument("--json", action="store_true", help="Print the extraction as JSON")
        parser.add_argument("--html", action="store_true", help="The input is article HTML")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        try:
            raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        if options["html"]:
            from claims.sources import _html_to_text

            raw, _meta = _html_to_text(raw)
        result = extract(raw)
        if options["json"]:
            self.stdout.write(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
            return
        w = self.stdout.write
        w(
            f"Extractor {result.version}: {len(result.sentences)} sentences, "
            f"{len(result.claims)} claims, {len(result.attributions)} attributions, "
            f"{len(result.figures)} figures, {len(result.actors)} actors\n"
        )
        for claim in result.claims:
            w(
                f"[{claim.index}] {claim.kind}, check-worthiness {claim.checkworthiness:.2f} "
                f"[{claim.start}:{claim.end}]"
            )
            w(f"    {claim.text}")
            for i in claim.attributions:
                a = result.attributions[i]
                who = (
                    result.actors[a.actor].name
                    if a.actor is not None
                    else (a.source.text if a.source else "—")
                )
                extra = f" on {a.channel}" if a.channel else ""
                parent = f" (inside attribution {a.parent})" if a.parent is not None else ""
                cue = a.cue.text if a.cue else ""
                w(f"    attribution {i}: {a.kind} {cue!r} → {who}{extra}{parent}")
            for i in claim.figures:
                f = result.figures[i]
                bounds = (
                    f" [{f.lower}, {f.upper}]" if f.lower is not None or f.upper is not None else ""
                )
                more = " (additional)" if f.additional else ""
                w(
                    f"    figure {i}: {f.text!r} = {f.value:g} {f.qualifier}{bounds} "
                    f"metric={f.metric or '—'} subject={f.subject or '—'}{more}"
                )
        opinions = [s for s in result.sentences if s.kind == "opinion"]
        for s in opinions:
            w(f"opinion (not a checkable claim) [{s.start}:{s.end}]: {s.text}")
        if result.actors:
            w("actors:")
            for actor in result.actors:
                mentions = ", ".join(sorted({m.text for m in actor.mentions}))
                w(f"    {actor.name} ({actor.kind}): {mentions}")
