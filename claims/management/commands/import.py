"""Restore a JSON Lines export (manage.py export) into an empty database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.backup import import_from
from claims.errors import ApplicationError


class Command(BaseCommand):
    help = "Import a JSON Lines export into an empty database (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A file written by `manage.py export`, or -")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["file"] == "-":
                counts = import_from(sys.stdin)
            else:
                with Path(options["file"]).open(encoding="utf-8") as stream:
                    counts = import_from(stream)
        except (OSError, ApplicationError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        for label, n in sorted(counts.items()):
            self.stdout.write(f"{label}: {n}")
