from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database_and_the_real_broker(client, settings):
    settings.BROKER_CONFIGURED = True
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok", "vendor": "postgresql"}
    assert body["broker"] == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_says_degraded_when_the_broker_is_unreachable(client, settings):
    settings.BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["broker"]["status"] == "error"


@pytest.mark.django_db
def test_readyz_reports_in_process_tasks_when_no_broker_is_configured(client, settings):
    settings.BROKER_CONFIGURED = False
    assert client.get("/readyz").json()["broker"] == {"status": "in-process"}


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
