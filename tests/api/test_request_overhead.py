"""What every API request pays before its own work (api.auth, api.filters, api.throttling):
the shortcuts taken there answer exactly as the long way would."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from api.auth import authenticate_key
from api.models import ApiKey
from claims.models import Claim
from claims.roles import CLIENTS, EDITORS, REVIEWERS
from claims.selectors import CLIENT, EDITOR, REVIEWER, user_role
from tests import factories as f
from tests.api.conftest import client_for, error_of

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.mark.parametrize(
    ("groups", "superuser", "role"),
    [
        ([CLIENTS], False, CLIENT),
        ([REVIEWERS], False, REVIEWER),
        ([EDITORS], False, EDITOR),
        ([CLIENTS, REVIEWERS], False, REVIEWER),
        ([REVIEWERS, EDITORS, CLIENTS], False, EDITOR),
        ([], False, None),
        ([], True, EDITOR),
    ],
)
def test_the_key_lookup_finds_the_role_user_role_would(groups, superuser, role):
    user = User.objects.create(username="someone", is_superuser=superuser)
    user.groups.add(*Group.objects.filter(name__in=groups))
    _, raw = ApiKey.generate(user=user, name="k")
    found, _ = authenticate_key(raw)
    assert user_role(found) == role
    assert user_role(User.objects.get(pk=user.pk)) == role  # the groups query's answer


def test_the_key_lookup_attaches_the_users_current_row(client_a, django_assert_num_queries):
    key, raw = ApiKey.generate(user=client_a, name="k")
    User.objects.filter(pk=client_a.pk).update(email="new@example.org")
    authenticate_key(raw)  # stamps last_used_at
    with django_assert_num_queries(1):
        found, found_key = authenticate_key(raw)
        assert user_role(found) == CLIENT
    assert (found.pk, found.email, found_key.pk) == (client_a.pk, "new@example.org", key.pk)
    assert found_key.user is found


def test_a_status_filter_answers_as_the_filterset_does(api_editor):
    claims = {status: f.ClaimFactory(status=status) for status in ("new", "queued", "published")}
    ids = lambda r: {c["id"] for c in r.json()["results"]}  # noqa: E731
    assert ids(api_editor.get("/api/v1/claims/?status=queued")) == {claims["queued"].pk}
    both = api_editor.get("/api/v1/claims/?status=queued&status=new&page_size=10")
    assert ids(both) == {claims["queued"].pk, claims["new"].pk}
    everything = "&".join(f"status={s}" for s in Claim.Status.values)
    assert ids(api_editor.get(f"/api/v1/claims/?{everything}")) == {c.pk for c in claims.values()}
    # With another filter beside it, the FilterSet does it all.
    mixed = api_editor.get("/api/v1/claims/?status=queued&status=new&language=xx")
    assert mixed.status_code == 200
    assert ids(mixed) == set()


@pytest.mark.parametrize("value", ["bogus", "", "queued\x00", "QUEUED", "null"])
def test_an_invalid_status_is_the_filtersets_400(api_editor, value):
    response = api_editor.get("/api/v1/claims/", {"status": ["queued", value]})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["details"]) == ["status"]


def test_both_throttles_count_every_request_once(client_a, monkeypatch):
    from django.core.cache import cache

    from api.throttling import BurstRateThrottle, SustainedRateThrottle

    rates = {"burst": "5/min", "sustained": "7/day"}
    monkeypatch.setattr(BurstRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(SustainedRateThrottle, "THROTTLE_RATES", rates)
    api = client_for(client_a)
    codes = [api.get("/api/v1/topics/").status_code for _ in range(8)]
    # The minute may turn during the requests; the day limit holds whatever it does.
    assert codes[:5] == [200] * 5
    assert codes[7] == 429
    key = ApiKey.objects.get(user=client_a)
    day = [k for k in cache._cache if f"throttle_sustained_key:{key.pk}:" in k]  # type: ignore[attr-defined]
    assert len(day) == 1
