from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey, hash_key
from api.throttling import BurstRateThrottle
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_a_key_works_as_a_bearer_token_and_as_x_api_key(client_a):
    _, raw = ApiKey.generate(user=client_a, name="cms")
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    header = APIClient(HTTP_X_API_KEY=raw)
    assert bearer.get("/api/v1/claims/").status_code == 200
    assert header.get("/api/v1/claims/").status_code == 200


def test_the_key_query_parameter_is_not_accepted_on_the_rest_api(client_a):
    _, raw = ApiKey.generate(user=client_a, name="cms")
    assert APIClient().get(f"/api/v1/claims/?key={raw}").status_code == 401


def test_a_wrong_key_is_401(db):
    response = APIClient(HTTP_AUTHORIZATION="Bearer fck_nope").get("/api/v1/claims/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_a_revoked_key_is_refused_immediately(client_a):
    key, raw = ApiKey.generate(user=client_a, name="cms")
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/claims/").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert api.get("/api/v1/claims/").status_code == 401


def test_a_key_of_a_deactivated_user_is_refused(client_a):
    _, raw = ApiKey.generate(user=client_a, name="cms")
    User.objects.filter(pk=client_a.pk).update(is_active=False)
    assert APIClient(HTTP_X_API_KEY=raw).get("/api/v1/claims/").status_code == 401


def test_keys_are_stored_hashed(client_a):
    key, raw = ApiKey.generate(user=client_a, name="cms")
    key.refresh_from_db()
    assert raw not in (key.hashed_key, key.prefix)
    assert key.hashed_key == hash_key(raw)


def test_last_use_is_recorded_at_most_once_a_minute(client_a, django_assert_num_queries):
    key, raw = ApiKey.generate(user=client_a, name="cms")
    api = APIClient(HTTP_X_API_KEY=raw)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.get("/api/v1/topics/")
        key.refresh_from_db()
        assert key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api.get("/api/v1/topics/")
        key.refresh_from_db()
        assert key.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api.get("/api/v1/topics/")
        key.refresh_from_db()
        assert key.last_used_at == start + timedelta(seconds=61)


def test_staff_can_use_the_browsable_api_with_their_session(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/api/v1/claims/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content


def test_a_session_of_a_non_staff_user_does_not_authenticate(client, client_a):
    client.force_login(client_a)
    assert client.get("/api/v1/claims/").status_code == 401


class TestThrottling:
    def test_it_throttles_per_key_with_retry_after(self, client_a, client_b, monkeypatch):
        monkeypatch.setattr(
            BurstRateThrottle, "THROTTLE_RATES", {"burst": "3/min", "sustained": "1000/day"}
        )
        _, raw_a = ApiKey.generate(user=client_a, name="a")
        _, raw_b = ApiKey.generate(user=client_b, name="b")
        api_a = APIClient(HTTP_X_API_KEY=raw_a)
        for _ in range(3):
            assert api_a.get("/api/v1/topics/").status_code == 200
        response = api_a.get("/api/v1/topics/")
        assert response.status_code == 429
        assert error_of(response)["code"] == "throttled"
        assert int(response["Retry-After"]) > 0
        # Another key has its own budget.
        assert APIClient(HTTP_X_API_KEY=raw_b).get("/api/v1/topics/").status_code == 200


class TestCreateApiKeyCommand:
    def test_it_prints_a_working_key_once(self, client_a):
        out = StringIO()
        call_command("create_api_key", "client-a", "--name", "CMS", stdout=out, stderr=StringIO())
        raw = out.getvalue().strip()
        assert ApiKey.objects.get(hashed_key=hash_key(raw)).name == "CMS"
        assert APIClient(HTTP_X_API_KEY=raw).get("/api/v1/claims/").status_code == 200

    def test_it_creates_a_client_application_when_asked(self, db):
        out = StringIO()
        call_command(
            "create_api_key",
            "newsroom",
            "--name",
            "CMS",
            "--create-client",
            stdout=out,
            stderr=StringIO(),
        )
        user = User.objects.get(username="newsroom")
        assert list(user.groups.values_list("name", flat=True)) == ["clients"]
        assert not user.has_usable_password()

    def test_it_refuses_an_unknown_user(self, db):
        with pytest.raises(CommandError):
            call_command("create_api_key", "nobody", "--name", "x", stdout=StringIO())


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client):
        admin = User.objects.create_superuser("root", "root@example.org", "pw")
        client.force_login(admin)
        return client

    def test_creating_a_key_shows_it_once(self, admin_client, client_a):
        response = admin_client.post(
            "/admin/api/apikey/add/", {"user": client_a.pk, "name": "Dashboard"}, follow=True
        )
        assert response.status_code == 200
        key = ApiKey.objects.get(name="Dashboard")
        shown = [str(m) for m in response.context["messages"]]
        raw = next(word for m in shown for word in m.split() if word.startswith("fck_"))
        assert hash_key(raw) == key.hashed_key
        assert raw not in admin_client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()

    def test_the_revoke_action_revokes(self, admin_client, client_a):
        key, raw = ApiKey.generate(user=client_a, name="cms")
        admin_client.post(
            "/admin/api/apikey/",
            {"action": "revoke", "_selected_action": [key.pk]},
        )
        key.refresh_from_db()
        assert key.revoked_at is not None
        assert APIClient(HTTP_X_API_KEY=raw).get("/api/v1/claims/").status_code == 401
