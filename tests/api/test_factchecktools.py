"""The Google Fact Check Tools compatible endpoint, driven by Google's own client."""

from __future__ import annotations

import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from api.models import ApiKey
from tests import factories as f
from tests.api.conftest import World, publish

URL = "/factchecktools/v1alpha1/claims:search"


@pytest.fixture
def service(live_server, client_a):
    _, raw = ApiKey.generate(user=client_a, name="google client")
    return build(
        "factchecktools",
        "v1alpha1",
        developerKey=raw,
        client_options={"api_endpoint": live_server.url + "/factchecktools/"},
        static_discovery=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_googles_client_searches_published_claims(
    service, client_a, client_b, reviewer, editor, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = World(client_a=client_a, client_b=client_b, reviewer=reviewer, editor=editor)
    for n in range(3):
        publish(
            f.ClaimFactory(text=f"Officials said {n} people were killed in Mali."),
            reviewer=reviewer,
            editor=editor,
        )

    result = service.claims().search(query="killed", languageCode="en-US", pageSize=2).execute()
    assert len(result["claims"]) == 2
    assert result["nextPageToken"]
    claim = result["claims"][0]
    assert set(claim) <= {"text", "claimant", "claimDate", "claimReview"}
    (review,) = claim["claimReview"]
    assert set(review) <= {
        "publisher",
        "url",
        "title",
        "reviewDate",
        "textualRating",
        "languageCode",
    }
    assert review["publisher"] == {"name": "Factcheck Desk", "site": "127.0.0.1"}
    assert review["textualRating"] == "False"
    assert review["languageCode"] == "en"
    assert review["reviewDate"].endswith("Z")

    rest = (
        service.claims()
        .search(query="killed", languageCode="en-US", pageSize=2, pageToken=result["nextPageToken"])
        .execute()
    )
    texts = {c["text"] for c in result["claims"]} | {c["text"] for c in rest["claims"]}
    assert len(texts) == 4
    assert "nextPageToken" not in rest
    assert world.published.text in texts

    by_offset = service.claims().search(query="killed", offset=3, pageSize=10).execute()
    assert len(by_offset["claims"]) == 1

    # Unpublished claims are never there, whoever asks.
    assert service.claims().search(query="casualties").execute() == {}
    assert service.claims().search(query="killed", languageCode="fr").execute() == {}
    assert (
        len(service.claims().search(reviewPublisherSiteFilter="127.0.0.1").execute()["claims"]) == 4
    )
    assert service.claims().search(reviewPublisherSiteFilter="nytimes.com").execute() == {}
    assert len(service.claims().search(query="killed", maxAgeDays=1).execute()["claims"]) == 4

    with pytest.raises(HttpError) as error:
        service.claims().search().execute()
    assert error.value.resp.status == 400


@pytest.mark.django_db
def test_it_needs_a_valid_key(client, client_a):
    assert client.get(URL, {"query": "x"}).status_code == 401
    assert client.get(URL, {"query": "x", "key": "wrong"}).status_code == 401
    _, raw = ApiKey.generate(user=client_a, name="k")
    assert client.get(URL, {"query": "x", "key": raw}).status_code == 200
    assert client.get(URL, {"query": "x"}, HTTP_X_API_KEY=raw).status_code == 200


@pytest.mark.django_db
def test_it_rejects_bad_parameters(client, client_a):
    _, raw = ApiKey.generate(user=client_a, name="k")
    for params in (
        {"query": "x", "pageSize": 0},
        {"query": "x", "pageSize": 1000},
        {"query": "x", "pageToken": "!!"},
        {"query": "x", "maxAgeDays": "a"},
        {"query": "x\x00"},
        {"query": "x", "offset": -1},
    ):
        response = client.get(URL, params | {"key": raw})
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid"
