"""`make run` with nothing configured uses SQLite and in-process tasks; keep that working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import django, os
django.setup()
from django.test import Client
from claims.models import Source
c = Client()
assert c.get("/healthz").status_code == 200
ready = c.get("/readyz").json()
assert ready["database"]["vendor"] == "sqlite", ready
assert ready["broker"] == {"status": "in-process"}, ready
assert c.get("/admin/login/").status_code == 200
assert c.login(username="reviewer", password="factcheck-demo")
assert c.get("/admin/claims/source/").status_code == 200
source = Source.objects.get()
assert source.status == "done", (source.status, source.error)
print("sqlite ok", source.pk)
"""


def test_migrate_load_seeds_and_serve_on_sqlite_with_in_process_tasks(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}
    }
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="factcheck.settings",
    )

    def run(*args: str) -> str:
        result = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run(sys.executable, "manage.py", "migrate", "--noinput")
    run(sys.executable, "manage.py", "load_seeds")
    assert "sqlite ok" in run(sys.executable, "-c", PROBE)
