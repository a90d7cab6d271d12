"""The OpenAPI document, the offline docs, and a schemathesis run against the schema."""

from __future__ import annotations

import copy
import json
from typing import Any

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
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free

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


# --- Stateful: workflows that follow OpenAPI links between operations -----------------------
#
# The links say where the id (and ETag) an answer returns can be used next: a created source
# is read and retried, a created claim read, updated with its ETag, dismissed, cited as
# evidence and reviewed, a taken task released, a draft verdict edited, submitted, approved
# or rejected, a webhook read, changed, deleted (then read again: it must be gone).


def _link(operation_id: str, parameters: dict[str, str], body: Any = None) -> dict[str, Any]:
    link: dict[str, Any] = {"operationId": operation_id, "parameters": parameters}
    if body is not None:
        link["requestBody"] = body
    return link


_ID = {"id": "$response.body#/id"}
_SAME_ID = {"id": "$request.path.id"}
_WITH_ETAG = {"id": "$request.path.id", "header.If-Match": "$response.header.ETag"}
_LINKS: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {
    ("post", "/api/v1/sources/", "202"): {
        "GetSource": _link("api_v1_sources_retrieve", _ID),
        "RetrySource": _link("api_v1_sources_retry_create", _ID),
    },
    ("post", "/api/v1/claims/", "201"): {
        "GetClaim": _link("api_v1_claims_retrieve", _ID),
        "DismissClaim": _link("api_v1_claims_dismiss_create", _ID),
        "ClaimReview": _link("api_v1_claims_claimreview_retrieve", _ID),
        "CiteEvidence": _link(
            "api_v1_evidence_create", {}, {"claim": "$response.body#/id", "excerpt": "cited"}
        ),
        "DraftReview": _link("api_v1_reviews_create", {}, {"claim": "$response.body#/id"}),
    },
    ("get", "/api/v1/claims/{id}/", "200"): {
        "UpdateClaim": _link("api_v1_claims_partial_update", _WITH_ETAG),
    },
    ("post", "/api/v1/evidence/", "201"): {
        "GetEvidence": _link("api_v1_evidence_retrieve", _ID),
    },
    ("post", "/api/v1/queue/take-next/", "200"): {
        "GetTask": _link("api_v1_queue_retrieve", _ID),
        "ReleaseTask": _link("api_v1_queue_release_create", _ID),
        "DraftTaskReview": _link(
            "api_v1_reviews_create", {}, {"claim": "$response.body#/claim/id"}
        ),
    },
    ("post", "/api/v1/reviews/", "201"): {
        "GetReview": _link("api_v1_reviews_retrieve", _ID),
        "UpdateReview": _link(
            "api_v1_reviews_partial_update",
            {"id": "$response.body#/id", "header.If-Match": "$response.header.ETag"},
        ),
        "SubmitReview": _link("api_v1_reviews_submit_create", _ID),
    },
    ("post", "/api/v1/reviews/{id}/submit/", "200"): {
        "ApproveReview": _link("api_v1_reviews_approve_create", _SAME_ID),
        "RejectReview": _link("api_v1_reviews_reject_create", _SAME_ID),
    },
    ("post", "/api/v1/webhooks/", "201"): {
        "GetWebhook": _link("api_v1_webhooks_retrieve", _ID),
        "UpdateWebhook": _link("api_v1_webhooks_partial_update", _ID),
        "DeleteWebhook": _link("api_v1_webhooks_destroy", _ID),
        "WebhookDeliveries": _link("api_v1_webhooks_deliveries_list", _ID),
    },
    ("delete", "/api/v1/webhooks/{id}/", "204"): {
        "GetDeletedWebhook": _link("api_v1_webhooks_retrieve", _SAME_ID),
    },
}


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    operation_ids = {
        op["operationId"] for item in document["paths"].values() for op in item.values()
    }
    for (method, path, code), links in _LINKS.items():
        for link in links.values():
            assert link["operationId"] in operation_ids, link  # a renamed operation
        document["paths"][path][method]["responses"][code]["links"] = copy.deepcopy(links)
    return document


_STATEFUL_CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": False},
            "stateful": {"enabled": True, "max-steps": 12},
        },
        "generation": {"mode": "positive", "deterministic": True, "no-shrink": True},
    }
)
_stateful_schema = schemathesis.openapi.from_dict(_with_links(_openapi()), config=_STATEFUL_CONFIG)
_stateful_schema.app = get_wsgi_application()

# Stateful checks on top of the per-response ones: a deleted resource is gone, a created
# one can be read back.
_STATEFUL_CHECKS = [*_CHECKS, use_after_free, ensure_resource_availability]


def test_the_links_connect_every_write_to_what_follows_it():
    document = _with_links(_openapi())
    linked = {
        link["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        for response in op["responses"].values()
        for link in response.get("links", {}).values()
    }
    # Every operation that acts on an existing object is reachable through a link.
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method != "get" and "{id}" in path:
                assert op["operationId"] in linked, (method, path)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["editor", "client"])
def test_stateful_workflows_keep_the_schema_and_never_fail(persona, keys):
    token = keys[persona]

    class Workflows(_stateful_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=_STATEFUL_CHECKS)

    calls: list[tuple[str, int]] = []
    followed: list[tuple[str, str, int]] = []  # (link, operation, status) of linked steps
    original_step = Workflows.step

    def recording_step(self: Any, input: Any) -> Any:
        output = original_step(self, input)
        label, status = input.case.operation.label, output.response.status_code
        calls.append((label, status))
        if input.transition is not None and input.is_applied:
            followed.append((input.transition.id, label, status))
        return output

    Workflows.step = recording_step  # type: ignore[method-assign]
    Workflows.run(
        settings=settings(
            max_examples=20,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not [call for call in calls if call[1] >= 500]
    # Steps really followed links, with the id (or ETag) an earlier answer gave them, and
    # some of them were accepted.
    assert [step for step in followed if step[2] < 400], sorted(set(calls))


# --- A longer property-based run where hostile input lands: writes and filtered lists -------
#
# Every operation that takes a body, and every list with filters, with many more examples
# than the sweep above, valid and invalid ("all" mode), for the editor, who may call them all.
_LONG = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _takes_hostile_input(ctx: Any) -> bool:
    operation = ctx.operation
    if operation.method.upper() != "GET":
        return True
    # The lists with the most filters (and the full-text search).
    return operation.path in {
        "/api/v1/claims/",
        "/api/v1/figures/",
        "/api/v1/sources/",
        "/api/v1/attributions/",
        "/factchecktools/v1alpha1/claims:search",
    }


_long_schema = _schema.include(_takes_hostile_input)


@pytest.mark.slow
@pytest.mark.django_db
@_long_schema.parametrize()
@_LONG
def test_a_longer_run_on_writes_and_filters_finds_no_server_error(case, keys):
    case.call_and_validate(headers={"Authorization": f"Bearer {keys['editor']}"}, checks=_CHECKS)
