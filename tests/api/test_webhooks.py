from __future__ import annotations

import pytest

from api.models import WebhookEndpoint
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

HOOK = {"url": "https://cms.example/hooks/factcheck", "events": ["claim.published"]}


def test_a_client_registers_a_webhook_and_sees_the_secret_once(api_a, client_a):
    response = api_a.post(
        "/api/v1/webhooks/", HOOK | {"owner": 999, "secret": "mine"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.owner == client_a
    assert endpoint.secret == body["secret"]
    assert "secret" not in api_a.get(f"/api/v1/webhooks/{body['id']}/").json()


def test_clients_see_and_change_only_their_own_webhooks(api_a, api_b):
    hook_id = api_a.post("/api/v1/webhooks/", HOOK, format="json").json()["id"]
    assert api_b.get("/api/v1/webhooks/").json()["results"] == []
    assert api_b.get(f"/api/v1/webhooks/{hook_id}/").status_code == 404
    assert (
        api_b.patch(f"/api/v1/webhooks/{hook_id}/", {"is_active": False}, format="json").status_code
        == 404
    )
    assert api_b.delete(f"/api/v1/webhooks/{hook_id}/").status_code == 404
    response = api_a.patch(f"/api/v1/webhooks/{hook_id}/", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False
    assert api_a.delete(f"/api/v1/webhooks/{hook_id}/").status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://cms.example/h", "events": ["claim.published"]},
        {"url": "https://cms.example/h", "events": []},
        {"url": "https://cms.example/h", "events": ["everything"]},
        {"url": "not a url", "events": ["claim.published"]},
    ],
)
def test_it_validates_webhooks(api_a, body):
    response = api_a.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert error_of(response)["details"]


def test_anonymous_cannot_register_webhooks(anon):
    assert anon.post("/api/v1/webhooks/", HOOK, format="json").status_code == 401
