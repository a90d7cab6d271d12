"""Score the check-worthiness model on a CheckThat! task 1 TSV (F1 of the Yes class)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.extraction import checkworthiness
from claims.extraction.evaluation import evaluate_checkworthiness


class Command(BaseCommand):
    help = "F1, precision and recall of the Yes class on a CheckThat! TSV (id, text, Yes/No)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--threshold", type=float, default=None, help="default: the model's own threshold"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        threshold = (
            options["threshold"] if options["threshold"] is not None else checkworthiness.THRESHOLD
        )
        result = evaluate_checkworthiness(path, checkworthiness.probability, threshold=threshold)
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"{int(result['sentences'])} sentences, threshold {threshold:.3f}: "
            f"F1(Yes) {result['f1']:.3f}  precision {result['precision']:.3f}  "
            f"recall {result['recall']:.3f}"
        )
