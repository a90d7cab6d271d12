"""Hostile input (issue #9, part 1): whatever a client sends, the answer is a 2xx or a clear
4xx in the API's one error shape, never a 500.

The writable fields and the list filters are read from the OpenAPI document and the
filtersets, so a field or filter added later is covered without touching this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from api import urls as api_urls
from api.models import WebhookEndpoint
from api.parsers import MAX_DEPTH
from claims.models import Claim, ReviewTask, Source
from tests import factories as f
from tests.api.conftest import World, error_of

pytestmark = pytest.mark.django_db

SQL_LIKE = "Robert'); DROP TABLE claims_claim;-- \" OR 1=1 --"
SCRIPT_LIKE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
NUL = "before\x00after"


def _openapi() -> dict[str, Any]:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


_SCHEMA = None


def _schema() -> dict[str, Any]:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = _openapi()
    return _SCHEMA


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in node and "type" not in node:
            # One branch is enough to learn the type (enums are wrapped this way).
            return _resolve(schema, node[combinator][0])
    return node


def _writable_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, properties) of every operation taking a JSON body."""
    schema = _schema()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            properties = _resolve(schema, body["schema"]).get("properties", {})
            yield method, path, {k: _resolve(schema, v) for k, v in properties.items()}


def _text_fields() -> list[tuple[str, str, str, str]]:
    """(method, path, field, type) for every field a client may send text in."""
    found = []
    for method, path, properties in _writable_operations():
        for name, prop in properties.items():
            if prop.get("readOnly"):
                continue
            kind = prop.get("type")
            if kind == "array" and _resolve(_schema(), prop.get("items", {})).get("type") in (
                "string",
                None,
            ):
                found.append((method, path, name, "array"))
            elif kind == "string" or "enum" in prop:
                found.append((method, path, name, "string"))
    return found


def _all_fields() -> list[tuple[str, str, str]]:
    return [
        (method, path, name)
        for method, path, properties in _writable_operations()
        for name, prop in properties.items()
        if not prop.get("readOnly")
    ]


class Objects:
    """One object for every `{id}` path of a writable operation, visible to the editor."""

    def __init__(self, world: World, editor: Any) -> None:
        self.world = world
        self.task = ReviewTask.objects.create(claim=world.claim_a, kind=ReviewTask.Kind.REVIEW)
        self.webhook = WebhookEndpoint.objects.create(
            owner=editor, url="https://hooks.example/in", events=["claim.published"], secret="s"
        )

    def for_path(self, path: str) -> tuple[str, dict[str, str]]:
        """The concrete path and the headers (If-Match) to call it with."""
        if "{" not in path:
            return path, {}
        resource = path.split("/")[3]
        obj: Any = {
            "sources": self.world.source_a,
            "claims": self.world.claim_a,
            "reviews": self.world.draft_a,
            "queue": self.task,
            "webhooks": self.webhook,
        }.get(resource)
        assert obj is not None, f"add an object for {path} to Objects.for_path"
        obj.refresh_from_db()
        concrete = path.replace("{id}", str(obj.pk))
        headers = {}
        if hasattr(obj, "version"):
            headers["HTTP_IF_MATCH"] = f'"{obj.version}"'
        return concrete, headers


@pytest.fixture
def objects(world, editor):
    return Objects(world, editor)


def _call(api: APIClient, method: str, path: str, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(api, method)(path, data, content_type="application/json", **headers)


def _assert_4xx(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    return error_of(response)


# --- Bodies ---------------------------------------------------------------------------------


def test_the_writable_fields_are_found_in_the_schema():
    fields = {(m, p, n) for m, p, n, _ in _text_fields()}
    # A sample of what must be there: if these disappear the generator is broken.
    assert ("post", "/api/v1/sources/", "text") in fields
    assert ("post", "/api/v1/evidence/", "excerpt") in fields
    assert ("post", "/api/v1/webhooks/", "events") in fields
    assert ("patch", "/api/v1/claims/{id}/", "topics") in fields
    assert ("post", "/api/v1/reviews/{id}/reject/", "comment") in fields
    assert len(fields) >= 25


@pytest.mark.parametrize(("method", "path", "field", "kind"), _text_fields())
def test_a_nul_character_in_any_text_field_is_a_400_naming_the_field(
    method, path, field, kind, objects, api_editor
):
    concrete, headers = objects.for_path(path)
    value: Any = [NUL] if kind == "array" else NUL
    response = _call(api_editor, method, concrete, {field: value}, **headers)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    error = error_of(response)
    assert error["code"] == "invalid"
    named = field if kind == "string" else f"{field}[0]"
    assert named in error["details"], error


def test_a_nul_character_in_an_otherwise_valid_submission_is_refused(api_a):
    for field in ("text", "title", "author"):
        body = {"text": "The minister said 40 people were killed.", "title": "t", "author": "a"}
        body[field] = body[field] + "\x00"
        response = api_a.post("/api/v1/sources/", body, format="json")
        assert response.status_code == 400
        assert field in error_of(response)["details"]
    assert not Source.objects.exists()


def test_a_nul_character_in_a_key_is_a_400(api_a):
    response = _call(api_a, "post", "/api/v1/sources/", {"te\x00xt": "x"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"


def test_a_nul_character_in_a_header_we_read_is_a_400(api_a):
    response = api_a.post(
        "/api/v1/sources/", {"text": "x y z"}, format="json", HTTP_IDEMPOTENCY_KEY="a\x00b"
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["details"]
    response = api_a.patch(
        "/api/v1/claims/1/", {"kind": "quote"}, format="json", HTTP_IF_MATCH='"1\x00"'
    )
    _assert_4xx(response)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[",
        b'{"text": "unterminated',
        b'{"text": NaN}',
        b'{"text": Infinity}',
        b"\xff\xfe\x00{",
        b'{"text": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"text": "\xed\xa0\x80"}',  # an encoded surrogate: invalid UTF-8
        b'{"text": "\\ud800"}',  # a lone surrogate escape: valid JSON, not storable text
        b"null",
        b"42",
        b'"just a string"',
        b"[1, 2, 3]",
        b"true",
    ],
    ids=lambda b: repr(b[:20]),
)
def test_malformed_or_odd_json_is_a_4xx(body, api_a):
    response = api_a.post("/api/v1/sources/", body, content_type="application/json")
    _assert_4xx(response)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(depth, api_a):
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        body = opener * depth + "1" + closer * depth
        response = api_a.post("/api/v1/sources/", body, content_type="application/json")
        assert response.status_code == 400, response.content[:200]
        assert error_of(response)["code"] == "malformed_request"


def test_unclosed_deep_nesting_is_a_400(api_a):
    response = api_a.post("/api/v1/sources/", "[" * 200_000, content_type="application/json")
    assert response.status_code == 400


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(settings, api_a):
    settings.MAX_REQUEST_BYTES = 4096
    response = api_a.post("/api/v1/sources/", {"text": "x" * 10_000}, format="json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_a_body_longer_than_its_content_length_is_not_read_past_it(settings, api_a):
    # A lying Content-Length: Django's stream stops at the declared length, so the JSON is
    # truncated and refused, not read to its real size.
    settings.MAX_REQUEST_BYTES = 4096
    body = json.dumps({"text": "x" * 10_000})
    response = api_a.generic(
        "POST", "/api/v1/sources/", body, content_type="application/json", CONTENT_LENGTH="100"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_a_ten_megabyte_article_is_accepted_and_stored_whole(api_a):
    paragraph = "The ministry said 140 people were killed and 200 injured in the attack. "
    text = (paragraph * (10_000_000 // len(paragraph) + 1))[:10_000_000]
    from unittest import mock

    # Storing is what is under test; extracting 10 MB of text is the pipeline's business.
    with mock.patch("claims.tasks.enqueue_source"):
        response = api_a.post("/api/v1/sources/", {"text": text}, format="json")
    assert response.status_code == 202, response.content[:300]
    source = Source.objects.get(pk=response.json()["id"])
    assert len(source.text) == 10_000_000


def test_an_article_over_ten_million_characters_is_a_400(api_a):
    response = api_a.post("/api/v1/sources/", {"text": "x" * 10_000_001}, format="json")
    assert response.status_code == 400
    assert "text" in error_of(response)["details"]


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("post", "/api/v1/sources/", "url"),
        ("post", "/api/v1/evidence/", "url"),
        ("post", "/api/v1/webhooks/", "url"),
    ],
)
def test_a_url_of_ten_thousand_characters_is_a_400(method, path, field, api_editor, world):
    url = "https://example.org/" + "a" * 9_980
    body = {field: url, "claim": world.claim_a.pk, "events": ["claim.published"]}
    response = _call(api_editor, method, path, body)
    assert response.status_code == 400
    assert field in error_of(response)["details"]


def test_a_get_with_a_ten_thousand_character_query_is_not_a_500(api_a):
    response = api_a.get("/api/v1/claims/", {"q": "kremlin " * 1_250})
    _assert_4xx(response)
    response = api_a.get("/api/v1/claims/" + "x" * 10_000 + "/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://пример.рф/новости/1", "xn--e1afmkfd.xn--p1ai"),
        ("https://bücher.example/artikel", "xn--bcher-kva.example"),
        # A homograph: the first letter is CYRILLIC SMALL LETTER A (U+0430), not a Latin "a".
        ("https://\u0430pple.com/news", "xn--pple-43d.com"),
        ("https://xn--80ak6aa92e.com/press", "xn--80ak6aa92e.com"),
    ],
)
def test_idn_and_homograph_domains_are_stored_as_punycode(url, host, api_a):
    from unittest import mock

    with mock.patch("claims.tasks.enqueue_source"):
        response = api_a.post("/api/v1/sources/", {"url": url}, format="json")
    assert response.status_code == 202, response.content[:300]
    source = Source.objects.get(pk=response.json()["id"])
    assert source.publisher is not None
    # The publisher is keyed by the ASCII form, so a look-alike never merges with the real
    # domain (apple.com) and the admin shows what the browser would really visit.
    assert source.publisher.domain == host
    assert source.publisher.domain.isascii()


@pytest.mark.parametrize(
    "url",
    [
        "https://exa mple.org/",
        "https://" + "a" * 64 + ".example/",  # a label over 63 characters: not IDNA
        "https://ex\u200bample.org/",  # a zero-width space in the host
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://[::1/",
        "https://例え.テスト:99999/",
        "http://",
    ],
)
def test_hostile_urls_are_a_4xx_or_stored_safely(url, api_a):
    from unittest import mock

    with mock.patch("claims.tasks.enqueue_source"):
        response = api_a.post("/api/v1/sources/", {"url": url}, format="json")
    if response.status_code == 202:
        source = Source.objects.get(pk=response.json()["id"])
        assert source.url.startswith(("http://", "https://"))
        assert source.publisher is None or source.publisher.domain.isascii()
    else:
        assert "url" in _assert_4xx(response)["details"]


@pytest.mark.parametrize("value", [SQL_LIKE, SCRIPT_LIKE, "{{ 7*7 }} ${7*7} %s %(x)s", "😀\u202e"])
def test_sql_and_script_looking_text_is_stored_and_returned_verbatim(value, api_editor, world):
    from unittest import mock

    with mock.patch("claims.tasks.enqueue_source"):
        response = api_editor.post(
            "/api/v1/sources/",
            {"text": f"{value} said 3 people.", "title": value, "author": value},
            format="json",
        )
    assert response.status_code == 202
    source_id = response.json()["id"]
    again = api_editor.get(f"/api/v1/sources/{source_id}/").json()
    assert (again["title"], again["author"]) == (value, value)
    assert again["text"] == f"{value} said 3 people."

    response = api_editor.post(
        "/api/v1/evidence/",
        {"claim": world.claim_a.pk, "title": value, "excerpt": value},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["title"], response.json()["excerpt"]) == (value, value)

    response = api_editor.post("/api/v1/claims/", {"text": value}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == value.strip()
    # The tables are still there.
    assert Claim.objects.filter(text=value.strip()).exists()


# --- Unknown fields and wrong types ---------------------------------------------------------


def test_unknown_fields_are_ignored_and_never_set_anything(api_a, client_b):
    from unittest import mock

    with mock.patch("claims.tasks.enqueue_source"):
        response = api_a.post(
            "/api/v1/sources/",
            {
                "text": "The minister said 12 people were hurt.",
                "status": "done",
                "submitted_by": client_b.pk,
                "id": 999_999,
                "content_hash": "0" * 64,
                "no_such_field": [1, 2],
            },
            format="json",
        )
    assert response.status_code == 202
    source = Source.objects.get(pk=response.json()["id"])
    assert source.pk != 999_999
    assert source.status == Source.Status.PENDING
    assert source.submitted_by_id != client_b.pk


def test_unknown_fields_on_a_webhook_cannot_take_another_owner(api_a, client_b, settings):
    response = api_a.post(
        "/api/v1/webhooks/",
        {
            "url": "https://hooks.example/a",
            "events": ["claim.published"],
            "owner": client_b.pk,
            "secret": "chosen-by-attacker",
            "consecutive_failures": 99,
        },
        format="json",
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get(pk=response.json()["id"])
    assert endpoint.owner_id != client_b.pk
    assert endpoint.secret != "chosen-by-attacker"
    assert endpoint.consecutive_failures == 0


WRONG_TYPES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1.5e308,
    "",
    "x" * 100_000,
    [],
    ["a", 1, None],
    {},
    {"nested": {"deeper": [1]}},
]


@pytest.mark.parametrize(("method", "path", "field"), _all_fields())
def test_every_field_with_a_wrong_type_is_a_4xx_or_accepted(
    method, path, field, objects, api_editor
):
    from unittest import mock

    concrete, headers = objects.for_path(path)
    for value in WRONG_TYPES:
        with mock.patch("claims.tasks.enqueue_source"):
            response = _call(api_editor, method, concrete, {field: value}, **headers)
        assert response.status_code < 500, (value, response.content[:300])
        if response.status_code >= 400:
            error_of(response)
        # A claim or review that was changed has a new version for the next If-Match.
        concrete, headers = objects.for_path(path)


@pytest.mark.parametrize(
    "whole_body",
    [[], [{"text": "x"}], "text", 1, None, {"text": {"$gt": ""}}],
    ids=repr,
)
def test_a_body_that_is_not_an_object_is_a_400(whole_body, api_editor, objects):
    for method, path, _ in _writable_operations():
        concrete, headers = objects.for_path(path)
        response = _call(api_editor, method, concrete, whole_body, **headers)
        assert response.status_code < 500, (method, path, response.content[:300])


# --- Lists: page sizes, cursors, filters ----------------------------------------------------


def _list_paths() -> list[str]:
    return [
        f"/api/v1/{prefix}/"
        for prefix, viewset, _ in api_urls.router.registry
        if hasattr(viewset, "list")
    ]


@pytest.mark.parametrize("path", _list_paths())
@pytest.mark.parametrize(
    "page_size", ["-1", "0", "-999999999999", "999999999999999999999999", "1e9", "abc", "\x00"]
)
def test_odd_page_sizes_never_fail(path, page_size, api_editor, world):
    response = api_editor.get(path, {"page_size": page_size})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) <= 100


@pytest.mark.parametrize("path", _list_paths())
@pytest.mark.parametrize(
    "cursor",
    [
        "zzz",
        "",
        "\x00",
        "cD0yMDI0",  # base64 of "p=2024": a position of the wrong type
        "bz0tMSZwPWFiYw==",  # "o=-1&p=abc"
        "cj0xJnA9" + "A" * 4000,
        "%%%",
        "cD0nOyBEUk9QIFRBQkxFIGNsYWltc19jbGFpbTstLQ==",  # p='; DROP TABLE claims_claim;--
    ],
)
def test_bad_cursors_are_a_400_or_ignored(path, cursor, api_editor, world):
    response = api_editor.get(path, {"cursor": cursor})
    assert response.status_code in {200, 400}, response.content[:300]
    if response.status_code == 400:
        assert "cursor" in error_of(response)["details"]


def _filters() -> list[tuple[str, str]]:
    """(list path, parameter) for every filter of every list endpoint, plus ordering."""
    found = []
    for prefix, viewset, _ in api_urls.router.registry:
        if not hasattr(viewset, "list"):
            continue
        path = f"/api/v1/{prefix}/"
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None:
            found.extend((path, name) for name in filterset.base_filters)
        found.append((path, "ordering"))
    found.append(("/api/v1/figures/compare/", "topic"))
    found.append(("/api/v1/figures/compare/", "metric"))
    for name in ("query", "languageCode", "reviewPublisherSiteFilter", "maxAgeDays",
                 "pageSize", "pageToken", "offset"):  # fmt: skip
        found.append(("/factchecktools/v1alpha1/claims:search", name))
    return found


GARBAGE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "1e309",
    "NaN",
    "inf",
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    "2024-13-45T99:99",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    SQL_LIKE,
    SCRIPT_LIKE,
    "%",
    "\\",
    "_%_",
    "😀",
    "\u202e",
    "x" * 5_000,
    "-created_at,__class__",
    "appearances__source__text",
]


def test_every_filter_of_every_list_endpoint_is_found():
    filters = set(_filters())
    assert ("/api/v1/claims/", "q") in filters
    assert ("/api/v1/claims/", "published_after") in filters
    assert ("/api/v1/figures/", "topic") in filters
    assert ("/api/v1/queue/", "mine") in filters
    assert len(filters) >= 40


@pytest.mark.parametrize(("path", "name"), _filters())
def test_every_filter_with_garbage_is_a_200_or_a_400_naming_it(path, name, api_editor, world):
    for value in GARBAGE:
        response = api_editor.get(path, {name: value, "query": "kremlin", "topic": "crocus",
                                         "metric": "killed"})  # fmt: skip
        assert response.status_code in {200, 400}, (value, response.content[:300])
        if response.status_code == 400:
            details = error_of(response)["details"]
            assert name in details, (value, details)
    # Repeated parameters and a value list are not a crash either.
    response = api_editor.get(f"{path}?{name}=1&{name}=2&{name}=%FF%FE&query=x&topic=x&metric=x")
    assert response.status_code in {200, 400}


def test_garbage_filters_do_not_leak_to_a_client(api_a, world):
    # Whatever the filter, a client still only sees what it may see.
    for value in [SQL_LIKE, "' OR '1'='1", "1 OR 1=1"]:
        response = api_a.get("/api/v1/claims/", {"q": value, "status": "new"})
        assert response.status_code in {200, 400}
        if response.status_code == 200:
            ids = {row["id"] for row in response.json()["results"]}
            assert world.claim_b.pk not in ids


def test_the_claims_table_survives_the_whole_garbage_run(api_editor, world):
    for value in GARBAGE:
        api_editor.get("/api/v1/claims/", {"q": value})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim")
        assert cursor.fetchone()[0] == Claim.objects.count() >= 3


# --- The admin escapes what the API stored verbatim ----------------------------------------


class TestAdminEscaping:
    @pytest.fixture
    def desk(self, client, editor):
        client.force_login(editor)
        return client

    @pytest.fixture
    def hostile(self, db):
        publisher = f.PublisherFactory(name=SCRIPT_LIKE, domain="evil.example")
        source = f.SourceFactory(
            title=SCRIPT_LIKE, text=f"{SCRIPT_LIKE} said 5 people died.", publisher=publisher
        )
        actor = f.ActorFactory(name=SCRIPT_LIKE)
        claim: Any = f.ClaimFactory.create(text=f"{SCRIPT_LIKE} said 5 people died.")
        appearance = f.AppearanceFactory(
            claim=claim, source=source, sentence=f"{SCRIPT_LIKE} said 5 people died."
        )
        f.AttributionFactory(appearance=appearance, actor=actor, source_text=SCRIPT_LIKE)
        f.EvidenceFactory(claim=claim, title=SCRIPT_LIKE, excerpt=SCRIPT_LIKE)
        return {"claim": claim, "source": source, "actor": actor, "publisher": publisher}

    @pytest.mark.parametrize(
        "page",
        [
            "/admin/claims/claim/{claim}/change/",
            "/admin/claims/claim/",
            "/admin/claims/claim/?q=script",
            "/admin/claims/source/{source}/change/",
            "/admin/claims/source/",
            "/admin/claims/actor/{actor}/change/",
            "/admin/claims/actor/",
            "/admin/claims/publisher/{publisher}/change/",
            "/admin/claims/evidence/",
            "/admin/claims/claim/{claim}/history/",
        ],
    )
    def test_script_looking_text_is_escaped_in_the_admin(self, page, desk, hostile):
        url = page.format(**{k: v.pk for k, v in hostile.items()})
        response = desk.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<script>alert("x")' not in html
        assert "<img src=x onerror" not in html
        if "?" not in url and "history" not in url:
            assert "&lt;script&gt;" in html or "&lt;img" in html, url
