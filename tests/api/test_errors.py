from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_json_404(api_a):
    response = api_a.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_path_outside_routes_under_api_is_a_json_404(db):
    response = Client().get("/api/unknown")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_non_numeric_id_is_a_404(api_a):
    assert api_a.get("/api/v1/claims/abc/").status_code == 404


def test_a_wrong_method_is_a_json_405(api_a):
    response = api_a.delete("/api/v1/sources/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_malformed_json_is_a_400(api_a):
    response = api_a.post("/api/v1/claims/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_a_form_body_is_415(api_a):
    response = api_a.post(
        "/api/v1/claims/", "text=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_a_413_before_authentication(settings, api_a):
    settings.MAX_REQUEST_BYTES = 2048
    body = json.dumps({"text": "x" * 5000})
    response = api_a.post("/api/v1/sources/", body, content_type="application/json")
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"limit_bytes": 2048}


def test_a_bad_content_length_is_a_400(api_a):
    response = api_a.generic(
        "POST",
        "/api/v1/sources/",
        "{}",
        content_type="application/json",
        CONTENT_LENGTH="lots",
    )
    assert response.status_code == 400


def test_a_server_error_under_api_is_json(api_a, monkeypatch):
    from api import views

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views.TopicViewSet, "list", boom)
    api_a.raise_request_exception = False
    response = api_a.get("/api/v1/topics/")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "bug" not in response.content.decode()


def test_validation_errors_name_the_fields(api_a):
    response = api_a.post("/api/v1/claims/", {"kind": "nonsense"}, format="json")
    assert response.status_code == 400
    details = error_of(response)["details"]
    assert set(details) == {"text", "kind"}
    assert all(isinstance(m, str) for m in details["text"])


def test_huge_numbers_in_filters_are_a_400_not_a_500(api_editor):
    response = api_editor.get("/api/v1/claims/?actor=99999999999999999999999")
    assert response.status_code in {200, 400}


def test_a_cursor_that_cannot_be_read_is_a_400_naming_the_parameter(as_user, client_a):
    response = as_user(client_a).get("/api/v1/claims/?cursor=zzz-not-a-cursor")
    assert response.status_code == 400
    body = response.json()["error"]
    assert "cursor" in body["details"]
