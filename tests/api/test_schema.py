"""The OpenAPI document, the offline docs, and a schemathesis run against the schema."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import World, client_for


def _openapi() -> dict:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


def test_the_schema_is_served_as_openapi_3(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/factchecktools/v1alpha1/claims:search" in document["paths"]
    assert "/api/v1/claims/{id}/claimreview/" in document["paths"]


def test_every_operation_documents_the_error_shape(db):
    document = _openapi()
    assert "Error" in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code in ("400", "401", "403", "404", "429"):
                response = operation["responses"][code]
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (path, method, code)


def test_the_docs_load_with_no_internet(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar" in page or "swagger-ui-dist" in page
    assert "cdn.jsdelivr" not in page
    assert "unpkg.com" not in page


# Bounded so the whole tests/api suite stays within a few minutes: the fuzzing phase with 5
# examples per operation (positive and negative), no coverage phase, no shrinking.
_CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"mode": "all", "max-examples": 5, "deterministic": True, "no-shrink": True},
    }
)
_schema = schemathesis.openapi.from_dict(_openapi(), config=_CONFIG)
_schema.app = get_wsgi_application()  # calls go straight into Django, inside the test's transaction

_CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
_BOUNDED = settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def keys(settings, client_a, client_b, reviewer, editor):
    settings.ALLOWED_HOSTS = ["*"]
    World(client_a=client_a, client_b=client_b, reviewer=reviewer, editor=editor)
    # Like Django's test client: the raw WSGI handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "client": client_for(client_a).raw_key,
        "editor": client_for(editor).raw_key,
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
@_schema.parametrize()
@_BOUNDED
def test_the_api_keeps_its_schema_for_a_client(case, keys):
    case.call_and_validate(headers={"Authorization": f"Bearer {keys['client']}"}, checks=_CHECKS)


@pytest.mark.slow
@pytest.mark.django_db
@_schema.parametrize()
@_BOUNDED
def test_the_api_keeps_its_schema_for_an_editor(case, keys):
    case.call_and_validate(headers={"Authorization": f"Bearer {keys['editor']}"}, checks=_CHECKS)
