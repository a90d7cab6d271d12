"""Write all claims, sources, attributions, figures, reviews, tasks and history as JSON Lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.backup import export_to, export_to_path
from claims.errors import ApplicationError


class Command(BaseCommand):
    help = "Export the desk's data as JSON Lines (to FILE, or standard output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="Output path, or - (default)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"] == "-":
            count = export_to(self.stdout)  # type: ignore[arg-type]
        else:
            try:
                count = export_to_path(Path(options["file"]))
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
        self.stderr.write(f"Exported {count} records.")
