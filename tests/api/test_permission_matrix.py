"""The permission matrix (DESIGN.md "Roles", issue #9 part 3), object by object.

Every persona against every object of every resource, read and written: a caller sees
exactly what its role allows, gets 404 (never 403, which would confirm the object exists)
for what it may not see, 403 for an action its role does not allow, and 401 without a
valid key. The operations are read from the OpenAPI document and the router, so an
endpoint added later fails here until its row of the matrix is written.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from api import urls as api_urls
from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.permissions import HasRole
from claims.models import Claim, Evidence, Review, ReviewTask, Source
from tests import factories as f
from tests.api.conftest import World, client_for, error_of

pytestmark = pytest.mark.django_db

PERSONAS = ["anon", "outsider", "client_a", "client_b", "reviewer", "editor"]
ROLES = {"client_a", "client_b", "reviewer", "editor"}
DESK = {"reviewer", "editor"}
A = {"client_a", *DESK}
B = {"client_b", *DESK}
# Resources a role may not use at all answer 403 whatever the object (the queue is the
# desk's); everywhere else a role's reach is decided object by object (404 when hidden).
RESOURCE_ROLES = {"queue": DESK}


class Matrix:
    """The world of tests.api.conftest plus what it lacks: objects only client B's claim
    reaches (an actor, a publisher), a queued task, and each persona's own webhook with a
    delivery and its attempt."""

    def __init__(self, personas: dict[str, Any], world: World) -> None:
        self.w = world
        self.users = personas
        claim_b_appearance = world.claim_b.appearances.get()
        self.actor_b = f.ActorFactory(name="Only in B's claim")
        f.AttributionFactory(appearance=claim_b_appearance, actor=self.actor_b)
        self.task = ReviewTask.objects.create(claim=world.claim_a, kind=ReviewTask.Kind.REVIEW)
        self.webhooks: dict[str, WebhookEndpoint] = {}
        self.deliveries: dict[str, WebhookDelivery] = {}
        for name in ("client_a", "client_b", "editor"):
            endpoint = WebhookEndpoint.objects.create(
                owner=personas[name],
                url=f"https://hooks.example/{name}",
                events=["claim.published"],
                secret=f"whsec_{name}",
            )
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event="claim.published", payload={"for": name}
            )
            WebhookAttempt.objects.create(delivery=delivery, number=1, status_code=500)
            self.webhooks[name], self.deliveries[name] = endpoint, delivery

    def of_claim(self, claim: Any, relation: str) -> Any:
        appearance = claim.appearances.order_by("pk").first()
        return {
            "appearances": appearance,
            "attributions": appearance.attributions.order_by("pk").first(),
            "figures": appearance.figures.order_by("pk").first(),
            "sources": appearance.source,
        }[relation]

    def readable(self) -> list[tuple[str, str, Any, set[str]]]:
        """(resource, label, object, who may see it) for every object of every resource."""
        w = self.w
        rows: list[tuple[str, str, Any, set[str]]] = [
            ("claims", "published", w.published, ROLES),
            ("claims", "a", w.claim_a, A),
            ("claims", "b", w.claim_b, B),
            ("actors", "in every claim", w.actor, ROLES),
            ("actors", "in the published claim", w.kremlin, ROLES),
            ("actors", "only in b", self.actor_b, B),
            ("publishers", "of published and a", w.publisher, ROLES),
            ("publishers", "only of b", w.source_b.publisher, B),
            ("evidence", "on published", w.evidence, ROLES),
            ("evidence", "on a", w.evidence_a, DESK),
            ("reviews", "published", w.review, ROLES),
            ("reviews", "draft on a", w.draft_a, DESK),
            ("queue", "task on a", self.task, DESK),
            ("topics", "crocus", w.topic, ROLES),
        ]
        for relation in ("appearances", "attributions", "figures", "sources"):
            rows += [
                (relation, "published", self.of_claim(w.published, relation), ROLES),
                (relation, "a", self.of_claim(w.claim_a, relation), A),
                (relation, "b", self.of_claim(w.claim_b, relation), B),
            ]
        for owner, endpoint in self.webhooks.items():
            rows.append(("webhooks", f"of {owner}", endpoint, {owner}))
        return rows


@pytest.fixture
def personas(client_a, client_b, reviewer, editor, outsider):
    return {
        "client_a": client_a,
        "client_b": client_b,
        "reviewer": reviewer,
        "editor": editor,
        "outsider": outsider,
    }


@pytest.fixture
def matrix(personas, world):
    return Matrix(personas, world)


@pytest.fixture
def apis(personas):
    apis = {name: client_for(user) for name, user in personas.items()}
    apis["anon"] = APIClient()
    return apis


def _expect_refused(response: Any, persona: str, *, role_allows: bool) -> None:
    """401 without a key; 403 when the role may not take this action at all (a user with
    no role, a client in the desk's queue), which the role check answers before any object
    is looked up; 404 when the role may but this object is hidden from the caller, so
    nobody learns that an object they may not see exists."""
    if persona == "anon":
        assert response.status_code == 401, response.content[:200]
        assert response["WWW-Authenticate"].startswith("Bearer")
        expected_code = "not_authenticated"
    elif persona == "outsider" or not role_allows:
        assert response.status_code == 403, (persona, response.content[:200])
        expected_code = "permission_denied"
    else:
        assert response.status_code == 404, (persona, response.content[:200])
        expected_code = "not_found"
    assert error_of(response)["code"] == expected_code


def _detail_path(resource: str, obj: Any) -> str:
    key = obj.slug if resource == "ratings" else obj.pk
    return f"/api/v1/{resource}/{key}/"


def test_every_resource_with_objects_is_in_the_matrix(matrix):
    resources = {resource for resource, *_ in matrix.readable()}
    routed = {
        prefix for prefix, viewset, _ in api_urls.router.registry if hasattr(viewset, "retrieve")
    }
    # Ratings are the public scale (no per-object rights); every other resource is here.
    assert routed - resources == {"ratings"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_exactly_the_objects_its_role_allows(persona, matrix, apis):
    api = apis[persona]
    for resource, label, obj, allowed in matrix.readable():
        response = api.get(_detail_path(resource, obj))
        if persona in allowed:
            assert response.status_code == 200, (resource, label, response.content[:200])
        else:
            role_allows = persona in RESOURCE_ROLES.get(resource, ROLES)
            _expect_refused(response, persona, role_allows=role_allows)


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_agree_with_details(persona, matrix, apis):
    """An object is listed exactly when its detail may be read."""
    api = apis[persona]
    by_resource: dict[str, list[tuple[Any, set[str]]]] = {}
    for resource, _, obj, allowed in matrix.readable():
        by_resource.setdefault(resource, []).append((obj, allowed))
    for resource, rows in by_resource.items():
        response = api.get(f"/api/v1/{resource}/", {"page_size": 100})
        if persona not in RESOURCE_ROLES.get(resource, ROLES):
            _expect_refused(response, persona, role_allows=False)
            continue
        assert response.status_code == 200, (resource, response.content[:200])
        listed = {row["id"] for row in response.json()["results"]}
        for obj, allowed in rows:
            assert (obj.pk in listed) == (persona in allowed), (resource, obj.pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_webhook_and_its_deliveries_are_seen_by_their_owner_only(persona, matrix, apis):
    api = apis[persona]
    for owner, endpoint in matrix.webhooks.items():
        response = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")
        if persona == owner:
            assert response.status_code == 200
            rows = response.json()["results"]
            assert [row["id"] for row in rows] == [matrix.deliveries[owner].pk]
            assert rows[0]["payload"] == {"for": owner}
            assert [a["status_code"] for a in rows[0]["log"]] == [500]
            # The secret is shown once, at creation: never again, not even to the owner.
            assert "secret" not in api.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
        else:
            _expect_refused(response, persona, role_allows=True)


@pytest.mark.parametrize("persona", PERSONAS)
def test_published_verdicts_are_public_and_nothing_else_is(persona, matrix, apis):
    api = apis[persona]
    w = matrix.w
    response = api.get(f"/api/v1/claims/{w.published.pk}/claimreview/")
    if persona in ROLES:
        assert response.status_code == 200
        assert response.json()["@type"] == "ClaimReview"
    else:
        _expect_refused(response, persona, role_allows=True)
    for claim in (w.claim_a, w.claim_b):
        response = api.get(f"/api/v1/claims/{claim.pk}/claimreview/")
        assert response.status_code in ({401} if persona == "anon" else {403, 404})


# --- Writes ---------------------------------------------------------------------------------


def _operations() -> list[tuple[str, str]]:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = json.loads(OpenApiJsonRenderer().render(raw))
    return sorted(
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"post", "put", "patch", "delete"}
    )


# (method, path) → (the object its {id} names, the roles whose role allows the action).
# Who may call it: those roles, if the object is visible to them (Matrix.readable()).
def _write_matrix(m: Matrix) -> dict[tuple[str, str], tuple[Any, set[str]]]:
    w = m.w
    return {
        ("post", "/api/v1/sources/"): (None, ROLES),
        ("post", "/api/v1/sources/{id}/retry/"): (w.source_a, ROLES),
        ("post", "/api/v1/claims/"): (None, ROLES),
        ("patch", "/api/v1/claims/{id}/"): (w.claim_a, {"editor"}),
        ("post", "/api/v1/claims/{id}/dismiss/"): (w.claim_a, {"editor"}),
        ("post", "/api/v1/evidence/"): (None, DESK),
        ("post", "/api/v1/reviews/"): (None, DESK),
        ("patch", "/api/v1/reviews/{id}/"): (w.draft_a, DESK),
        ("post", "/api/v1/reviews/{id}/submit/"): (w.draft_a, DESK),
        ("post", "/api/v1/reviews/{id}/approve/"): (w.draft_a, {"editor"}),
        ("post", "/api/v1/reviews/{id}/reject/"): (w.draft_a, {"editor"}),
        ("post", "/api/v1/queue/take-next/"): (None, DESK),
        ("post", "/api/v1/queue/{id}/release/"): (m.task, DESK),
        ("post", "/api/v1/webhooks/"): (None, ROLES),
        ("patch", "/api/v1/webhooks/{id}/"): (m.webhooks["client_a"], ROLES),
        ("delete", "/api/v1/webhooks/{id}/"): (m.webhooks["client_a"], ROLES),
    }


def _visible_to(m: Matrix, obj: Any) -> set[str]:
    if obj is None:
        return ROLES
    for _, _, candidate, allowed in m.readable():
        if type(candidate) is type(obj) and candidate.pk == obj.pk:
            return allowed
    raise AssertionError(f"{obj!r} is not in Matrix.readable()")


def _state() -> list[Any]:
    """Everything a write could change, to prove a refused write changed nothing."""
    return [
        list(Source.objects.order_by("pk").values_list("pk", "status")),
        list(Claim.objects.order_by("pk").values_list("pk", "status", "version", "kind")),
        list(Evidence.objects.order_by("pk").values_list("pk")),
        list(Review.objects.order_by("pk").values_list("pk", "status", "version")),
        list(ReviewTask.objects.order_by("pk").values_list("pk", "state", "assignee")),
        list(WebhookEndpoint.objects.order_by("pk").values_list("pk", "url", "is_active")),
    ]


def test_every_write_operation_is_in_the_matrix(matrix):
    assert set(_operations()) == set(_write_matrix(matrix))


@pytest.mark.parametrize(("method", "path"), _operations())
def test_each_write_is_allowed_exactly_to_its_roles(method, path, matrix, apis):
    obj, roles = _write_matrix(matrix)[(method, path)]
    visible = _visible_to(matrix, obj)
    concrete = path.replace("{id}", str(obj.pk)) if obj is not None else path
    body = {"url": "https://hooks.example/changed", "events": ["claim.published"]}
    # The refused first, so an allowed write cannot change what they are refused.
    for persona in sorted(PERSONAS, key=lambda p: p in roles and p in visible):
        before = _state()
        with mock.patch("claims.tasks.enqueue_source"):
            response = getattr(apis[persona], method)(concrete, body, format="json")
        if persona in roles and persona in visible:
            # Through the door; the service may still refuse the request itself (409 wrong
            # state, 400 bad body, 403 not your draft, 404 nothing left in the queue),
            # never for the caller's role or the object's visibility.
            assert response.status_code != 401, persona
            if response.status_code >= 400:
                error = error_of(response)
                assert error["code"] != "not_found", (persona, error)
                assert error["message"] != HasRole.message, (persona, error)
            continue
        _expect_refused(response, persona, role_allows=persona in roles)
        assert _state() == before, f"a write refused to {persona} changed something"


@pytest.mark.parametrize(("method", "path"), _operations())
def test_a_key_in_the_query_string_never_writes(method, path, matrix, personas):
    """`?key=` is for the read-only Fact Check Tools endpoint: a key that ends up in URLs
    and logs must not be able to change anything anywhere else."""
    from api.models import ApiKey

    _, raw = ApiKey.generate(user=personas["editor"], name="query")
    obj, _ = _write_matrix(matrix)[(method, path)]
    concrete = path.replace("{id}", str(obj.pk)) if obj is not None else path
    before = _state()
    response = getattr(APIClient(), method)(f"{concrete}?key={raw}", {}, format="json")
    assert response.status_code == 401
    assert _state() == before


def test_the_fact_check_tools_endpoint_is_read_only(matrix, personas):
    from api.models import ApiKey

    _, raw = ApiKey.generate(user=personas["client_a"], name="query")
    path = f"/factchecktools/v1alpha1/claims:search?query=killed&key={raw}"
    assert APIClient().get(path).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(APIClient(), method)(path, {}, format="json").status_code == 405
