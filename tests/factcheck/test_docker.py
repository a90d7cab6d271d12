"""There is no Docker engine in CI, so the compose file and start scripts are checked by
reading them: every command must name a script that exists and execs a real entry point."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml
from django.core.management import get_commands

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def test_compose_has_every_service_with_a_healthcheck():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    for name, service in services.items():
        if name == "migrate":
            continue  # a one-shot job; its completion is what others wait for
        assert service["healthcheck"]["test"], name


def test_every_app_command_is_a_start_script_the_image_installs():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    for name in ("migrate", "web", "worker", "beat"):
        script = compose()["services"][name]["command"][0]
        assert (DOCKER / script).is_file(), script
        assert script in dockerfile, f"{script} is not copied into the image"


def test_start_scripts_fail_fast_and_exec_real_entry_points():
    commands = get_commands()
    for script in sorted(DOCKER.glob("start-*")):
        text = script.read_text()
        assert "set -o errexit -o pipefail -o nounset" in text, script.name
        assert re.search(r"^exec ", text, re.M), script.name
        for module, attr in re.findall(r"gunicorn ([\w.]+):(\w+)", text):
            assert hasattr(importlib.import_module(module), attr)
        for app in re.findall(r"celery -A (\w+)", text):
            assert hasattr(importlib.import_module(app), "celery_app")
        for command in re.findall(r"manage\.py (\w+)", text):
            assert command in commands, command


def test_the_dockerfile_runs_as_a_non_root_user():
    assert re.search(r"^USER (?!root)\w+", (DOCKER / "Dockerfile").read_text(), re.M)


def test_worker_queues_match_the_queues_tasks_are_routed_to():
    from django.conf import settings

    routed = {route["queue"] for route in getattr(settings, "CELERY_TASK_ROUTES", {}).values()}
    env = compose()["services"]["worker"]["environment"]["CELERY_QUEUES"]
    listened = set(re.search(r":-([\w,]+)", env).group(1).split(","))
    assert routed <= listened
    assert settings.CELERY_TASK_DEFAULT_QUEUE in listened


def _script_variables(name: str) -> dict[str, str]:
    """${VAR:-default} of a start script, by the command-line option it feeds."""
    text = (DOCKER / name).read_text()
    return dict(re.findall(r'(--[\w-]+) "\$\{(\w+):-[^}]*\}"', text))


def test_scaling_variables_are_set_in_compose_and_read_by_the_start_scripts():
    services = compose()["services"]
    for service, script, names in (
        ("web", "start-web", {"GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_MAX_REQUESTS"}),
        ("worker", "start-worker", {"CELERY_CONCURRENCY", "CELERY_QUEUES"}),
    ):
        read = set(_script_variables(script).values())
        assert names <= read, (script, names - read)
        environment = services[service]["environment"]
        scaling = {
            k
            for k in environment
            if k.startswith(("GUNICORN_", "CELERY_")) and k != "CELERY_BROKER_URL"
        }
        # Every scaling variable compose sets is one the script reads, and vice versa.
        assert scaling == read - {"PORT", "LOG_LEVEL"}, (service, scaling ^ read)
        for name in scaling:
            assert re.fullmatch(rf"\$\{{{name}:-[\w,]+\}}", str(environment[name])), name


def test_gunicorn_options_of_the_start_script_are_real_gunicorn_settings():
    from gunicorn.config import KNOWN_SETTINGS

    flags = {flag for setting in KNOWN_SETTINGS for flag in setting.cli or []}
    for option in _script_variables("start-web"):
        assert option in flags, option


def test_celery_options_of_the_start_script_are_real_worker_options():
    from celery.bin.worker import worker

    flags = {opt for param in worker.params for opt in param.opts}
    for option in _script_variables("start-worker"):
        assert option in flags, option
