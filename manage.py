#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    # A newcomer's `manage.py makemigrations` in a fresh clone should just work, while a
    # deployment (which always sets SECRET_KEY) keeps the production-safe DEBUG=0 default.
    if "DEBUG" not in os.environ and not {"SECRET_KEY", "SECRET_KEY_FILE"} & set(os.environ):
        os.environ["DEBUG"] = "1"
        print("manage.py: no SECRET_KEY set, so DEBUG=1 (local development).", file=sys.stderr)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
