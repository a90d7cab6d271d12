"""The answer a client gets while the database is away (the real outage is in
test_database_restart.py; here the error is raised in the view, in process)."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError

from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_lost_connection_is_a_503_with_retry_after_in_the_api_error_shape(
    client_a, monkeypatch, error
):
    api = client_for(client_a)

    def lost(*args, **kwargs):
        raise error

    monkeypatch.setattr("api.views.selectors.claims_visible_to", lost)
    response = api.get("/api/v1/claims/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()["error"]
    assert body["code"] == "service_unavailable"
    assert body["details"] == {"retry_after_seconds": 5}


def test_other_errors_are_left_alone(client_a, monkeypatch):
    api = client_for(client_a)
    api.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.views.selectors.claims_visible_to", broken)
    response = api.get("/api/v1/claims/")
    assert response.status_code == 500
    assert "Retry-After" not in response
