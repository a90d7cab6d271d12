"""Settings come from the environment and fail loudly. Each case starts a fresh process,
since settings are read once at import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_secret_key_with_debug_off_stops_the_process_with_a_clear_error():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_without_debug_or_a_secret_key_manage_py_assumes_local_development():
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "no SECRET_KEY set, so DEBUG=1" in result.stderr


def test_with_a_secret_key_and_no_debug_manage_py_stays_in_production_mode():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        SECRET_KEY="kq8#z1!vX0-production-grade-secret-4mT@b9&Lr2^pYw7$eN5cH3uJ6gF",
        ALLOWED_HOSTS="x.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert "DEBUG=1" not in result.stderr


def test_a_malformed_boolean_is_refused_by_name():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_malformed_integer_is_refused_by_name():
    result = run_manage("check", DEBUG="1", CELERY_TASK_TIME_LIMIT="ten")
    assert result.returncode != 0
    assert "CELERY_TASK_TIME_LIMIT='ten' is not an integer" in result.stderr


def test_secrets_can_be_read_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("a-very-long-secret-read-from-a-file-0123456789-abcdefghijklmnop\n")
    result = run_manage("check", DEBUG="0", SECRET_KEY_FILE=str(secret), ALLOWED_HOSTS="x.org")
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_debug_off_and_a_real_secret():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="kq8#z1!vX0-production-grade-secret-4mT@b9&Lr2^pYw7$eN5cH3uJ6gF",
        ALLOWED_HOSTS="factcheck.example.org",
        SECURE_SSL_REDIRECT="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("url", ["nonsense://x", "postgres://[::1"])
def test_an_unparseable_database_url_is_refused(url):
    result = run_manage("check", DEBUG="1", DATABASE_URL=url)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
