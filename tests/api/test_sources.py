from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyKey
from claims.models import Source
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

ARTICLE = (
    "Moscow and Bamako held talks on Monday. According to Russian authorities, the attack "
    "killed over 140 people and injured 200 more."
)


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    def run(api, body, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/api/v1/sources/", body, format="json", **headers)

    return run


def test_a_client_submits_text_and_gets_202_with_the_status(api_a, client_a, submit):
    response = submit(
        api_a, {"text": ARTICLE, "title": "Talks", "status": "done", "submitted_by": 999}
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] in {"pending", "extracting", "done", "failed"}
    assert body["title"] == "Talks"
    assert response["Location"] == f"/api/v1/sources/{body['id']}/"
    source = Source.objects.get(pk=body["id"])
    assert source.submitted_by == client_a
    detail = api_a.get(f"/api/v1/sources/{body['id']}/").json()
    assert detail["status"] == "done"
    assert detail["error"] == ""
    assert detail["text"] == ARTICLE
    assert isinstance(detail["claims"], list)
    assert "submitted_by" not in detail


def test_it_extracts_text_from_html(api_a, submit):
    html = (
        f"<html><head><title>Talks</title></head><body><article><p>{ARTICLE}</p>"
        f"<p>{ARTICLE.upper()}</p></article></body></html>"
    )
    response = submit(api_a, {"html": html})
    assert response.status_code == 202, response.content
    assert "Russian authorities" in Source.objects.get(pk=response.json()["id"]).text


def test_a_url_without_text_is_stored_and_its_failure_shown(api_a, submit):
    response = submit(api_a, {"url": "https://news.example/a?utm_source=x"})
    assert response.status_code == 202
    body = api_a.get(f"/api/v1/sources/{response.json()['id']}/").json()
    assert body["url"] == "https://news.example/a"
    assert body["status"] in {"pending", "failed", "done"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": "  "},
        {"url": "ftp://x.example/a"},
        {"text": "a", "html": "<p>b</p>"},
        {"text": "nul\x00byte"},
        {"text": "x", "language": "not a language!"},
        {"text": "x", "published_at": "yesterday"},
    ],
)
def test_it_rejects_bad_submissions_with_field_errors(api_a, submit, body):
    response = submit(api_a, body)
    assert response.status_code == 400, response.content
    assert error_of(response)["details"]


def test_the_same_article_twice_is_a_409_naming_the_first(api_a, submit):
    first = submit(api_a, {"text": ARTICLE}).json()
    response = submit(api_a, {"text": "  " + ARTICLE.upper()})
    assert response.status_code == 409
    assert error_of(response)["details"] == {"existing_id": first["id"]}


def test_anonymous_and_roleless_users_cannot_submit(anon, as_user, outsider, submit):
    assert submit(anon, {"text": ARTICLE}).status_code == 401
    assert submit(as_user(outsider), {"text": ARTICLE}).status_code == 403
    assert not Source.objects.exists()


def test_reviewers_can_submit_too(api_reviewer, submit):
    assert submit(api_reviewer, {"text": ARTICLE}).status_code == 202


def test_a_client_sees_its_own_sources_and_those_with_published_claims(api_a, api_b, world):
    rows = {r["id"] for r in api_a.get("/api/v1/sources/").json()["results"]}
    assert rows == {world.source_a.pk, world.public_source.pk}
    assert api_b.get(f"/api/v1/sources/{world.source_a.pk}/").status_code == 404
    detail = api_a.get(f"/api/v1/sources/{world.source_a.pk}/").json()
    assert [c["id"] for c in detail["claims"]] == [world.claim_a.pk]


def test_the_desk_sees_every_source_and_who_submitted_it(api_editor, world):
    rows = api_editor.get("/api/v1/sources/").json()["results"]
    assert len(rows) == 3
    assert {r["submitted_by"] for r in rows} == {"client-a", "client-b", None}


class TestIdempotency:
    def test_the_same_key_and_body_gets_the_same_answer_and_no_second_source(self, api_a, submit):
        first = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-1")
        again = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-1")
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert Source.objects.count() == 1

    def test_the_same_key_with_another_body_is_422(self, api_a, submit):
        submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-2")
        response = submit(api_a, {"text": ARTICLE + " More."}, HTTP_IDEMPOTENCY_KEY="k-2")
        assert response.status_code == 422
        assert error_of(response)["code"] == "idempotency_key_reused"
        assert Source.objects.count() == 1

    def test_keys_belong_to_one_client(self, api_a, api_b, submit):
        submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="shared")
        response = submit(
            api_b, {"text": "Another article entirely."}, HTTP_IDEMPOTENCY_KEY="shared"
        )
        assert response.status_code == 202

    def test_a_failed_validation_does_not_burn_the_key(self, api_a, submit):
        assert submit(api_a, {}, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400
        assert not IdempotencyKey.objects.filter(key="k-3").exists()

    def test_an_error_answer_is_replayed_too(self, api_a, submit):
        submit(api_a, {"text": ARTICLE})
        first = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-4")
        again = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-4")
        assert first.status_code == again.status_code == 409
        assert first.json() == again.json()

    def test_a_key_left_in_flight_by_a_dead_request_is_taken_over_after_a_while(
        self, api_a, submit
    ):
        # A request whose database connection died could neither finish nor free its key.
        submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-5")
        IdempotencyKey.objects.filter(key="k-5").update(status_code=None, response_body=None)
        Source.objects.all().delete()

        retry = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-5")
        assert retry.status_code == 409
        assert error_of(retry)["code"] == "idempotency_key_in_flight"

        IdempotencyKey.objects.filter(key="k-5").update(
            created_at=timezone.now() - timedelta(seconds=121)
        )
        later = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k-5")
        assert later.status_code == 202
        assert Source.objects.count() == 1
        assert IdempotencyKey.objects.get(key="k-5").status_code == 202

    def test_an_overlong_key_is_refused(self, api_a, submit):
        response = submit(api_a, {"text": ARTICLE}, HTTP_IDEMPOTENCY_KEY="k" * 300)
        assert response.status_code == 400


@pytest.mark.django_db
def test_a_client_retries_its_failed_source_and_sees_the_attempts(
    client_a, client_b, django_capture_on_commit_callbacks
):
    from claims.models import Source
    from tests.api.conftest import client_for

    api = client_for(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/sources/", {"url": "http://10.0.0.1/a"}, format="json")
    source_id = response.json()["id"]
    failed = api.get(f"/api/v1/sources/{source_id}/").json()
    assert failed["status"] == "failed"
    assert "non-public address" in failed["error"]
    assert failed["attempts"] == 1
    assert client_for(client_b).post(f"/api/v1/sources/{source_id}/retry/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        retried = api.post(f"/api/v1/sources/{source_id}/retry/")
    assert retried.status_code == 202
    assert Source.objects.get(pk=source_id).attempts == 2
    # Only failed sources can be retried.
    Source.objects.filter(pk=source_id).update(status="done")
    conflict = api.post(f"/api/v1/sources/{source_id}/retry/")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "illegal_transition"
