"""Score the attribution extractor on brat standoff data (PolNeAR layout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.extraction.evaluation import evaluate_attributions


class Command(BaseCommand):
    help = (
        "Precision, recall and F1 of extracted attributions against brat standoff annotations "
        "(DIR/text/*.txt and DIR/attributions/*.ann). An attribution is found when its cue "
        "overlaps a gold cue; source and content are then scored by character overlap."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        if not (directory / "text").is_dir() or not (directory / "attributions").is_dir():
            raise CommandError(f"{directory} needs text/ and attributions/ folders.")
        result = evaluate_attributions(directory)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"{result['documents']} documents, {result['gold']} gold attributions, "
            f"{result['predicted']} predicted, {result['found']} found"
        )
        for role in ("attribution", "cue", "source", "content"):
            s: Any = result[role]
            self.stdout.write(
                f"{role:12} precision {s['precision']:.3f}  recall {s['recall']:.3f}  "
                f"F1 {s['f1']:.3f}"
            )
