from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache, caches
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

    def test_the_count_is_one_number_per_window_not_a_history(self, client_a):
        # DRF's default keeps every request's time and rewrites the list on each request:
        # for a daily rate that is a list of thousands per key.
        key, raw = ApiKey.generate(user=client_a, name="a")
        api = APIClient(HTTP_X_API_KEY=raw)
        for _ in range(5):
            assert api.get("/api/v1/topics/").status_code == 200
        window = int(time.time() // 60)
        # Two windows in case the minute turned during the requests.
        counters = [cache.get(f"throttle_burst_key:{key.pk}:{w}") for w in (window - 1, window)]
        assert sum(c or 0 for c in counters) == 5
        assert all(c is None or isinstance(c, int) for c in counters)

    def test_on_redis_the_limit_holds_and_the_counter_expires(
        self, client_a, settings, monkeypatch
    ):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.CELERY_BROKER_URL,
                "KEY_PREFIX": "throttle-test",
            }
        }
        monkeypatch.setattr(
            BurstRateThrottle, "THROTTLE_RATES", {"burst": "3/min", "sustained": "1000/day"}
        )
        key, raw = ApiKey.generate(user=client_a, name="a")
        api = APIClient(HTTP_X_API_KEY=raw)
        codes = [api.get("/api/v1/topics/").status_code for _ in range(4)]
        # The minute may turn during the requests; then the fourth starts a new window.
        assert codes[:3] == [200, 200, 200]
        assert codes[3] in {429, 200}
        redis_cache = caches["default"]
        names = [
            redis_cache.make_and_validate_key(f"throttle_burst_key:{key.pk}:{w}")
            for w in range(int(time.time() // 60) - 1, int(time.time() // 60) + 1)
        ]
        client = redis_cache._cache.get_client(names[0])
        counts = [int(client.get(n) or 0) for n in names]
        assert sum(counts) == 4
        assert all(0 < client.ttl(n) <= 61 for n, c in zip(names, counts, strict=True) if c)
        client.delete(*names)


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


class TestKeyGuessing:
    """Repeated wrong keys from one address: throttled (429, Retry-After) and logged."""

    @pytest.fixture(autouse=True)
    def _low_limit(self, settings):
        settings.API_AUTH_FAILURE_LIMIT = 3
        settings.API_AUTH_FAILURE_WINDOW_SECONDS = 600

    @staticmethod
    def _guess(address: str = "203.0.113.7", key: str = "fck_00000000_wrong", **extra):
        api = APIClient(REMOTE_ADDR=address, HTTP_AUTHORIZATION=f"Bearer {key}", **extra)
        return api.get("/api/v1/topics/")

    def test_wrong_keys_past_the_limit_get_429_with_retry_after(self, client_a):
        for _ in range(3):
            assert self._guess().status_code == 401
        response = self._guess()
        assert response.status_code == 429
        assert error_of(response)["code"] == "throttled"
        assert 0 < int(response["Retry-After"]) <= 601

    def test_a_locked_out_address_cannot_tell_a_right_key_from_a_wrong_one(self, client_a):
        _, raw = ApiKey.generate(user=client_a, name="cms")
        for _ in range(3):
            self._guess()
        assert self._guess(key=raw).status_code == 429
        # Another address with the right key is not affected.
        assert self._guess(address="198.51.100.2", key=raw).status_code == 200

    def test_a_forged_forwarded_for_header_does_not_reset_the_count(self, db):
        for n in range(4):
            response = self._guess(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        assert response.status_code == 429

    def test_the_query_parameter_key_of_fact_check_tools_is_throttled_too(self, db):
        api = APIClient(REMOTE_ADDR="203.0.113.9")
        path = "/factchecktools/v1alpha1/claims:search?query=x&key=wrong"
        assert [api.get(path).status_code for _ in range(4)] == [401, 401, 401, 429]

    def test_the_lockout_ends_with_the_window(self, client_a):
        _, raw = ApiKey.generate(user=client_a, name="cms")
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            for _ in range(4):
                self._guess()
            assert self._guess(key=raw).status_code == 429
        with time_machine.travel(start + timedelta(seconds=601), tick=False):
            assert self._guess(key=raw).status_code == 200

    def test_a_right_key_does_not_count_and_no_key_is_not_a_guess(self, client_a):
        _, raw = ApiKey.generate(user=client_a, name="cms")
        for _ in range(5):
            assert self._guess(key=raw).status_code == 200
            assert APIClient(REMOTE_ADDR="203.0.113.7").get("/api/v1/topics/").status_code == 401
        assert self._guess().status_code == 401

    def test_each_wrong_key_is_logged_with_address_and_prefix_never_the_key(self, db, caplog):
        secret_part = "s3cr3t-part-that-must-never-be-logged"
        with caplog.at_level("WARNING", logger="api.auth"):
            self._guess(key=f"fck_1a2b3c4d_{secret_part}")
            APIClient(
                REMOTE_ADDR="203.0.113.7", HTTP_X_API_KEY="ab\nFAKE LOG LINE not-even-a-key"
            ).get("/api/v1/topics/")
        records = [r for r in caplog.records if r.name == "api.auth"]
        assert len(records) == 2
        first, second = (r.getMessage() for r in records)
        assert "203.0.113.7" in first
        assert "fck_1a2b3c4d" in first
        assert secret_part not in caplog.text
        assert "even-a-key" not in second
        assert "\n" not in second  # a key cannot forge a log line
        assert "FAKE LOG LINE" not in caplog.text

    def test_a_cache_outage_does_not_turn_key_checks_into_500s(self, client_a, monkeypatch):
        class DownCache:
            def __getattr__(self, name):
                def fail(*args, **kwargs):
                    raise ConnectionError("redis is down")

                return fail

        monkeypatch.setattr("api.auth.cache", DownCache())
        _, raw = ApiKey.generate(user=client_a, name="cms")
        assert self._guess().status_code == 401
        assert self._guess(key=raw).status_code == 200


class TestRevocation:
    def test_a_key_revoked_in_the_admin_is_refused_on_the_next_request(
        self, client, client_a, settings
    ):
        # With the shared Redis cache of production: nothing about keys is cached there.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": settings.CELERY_BROKER_URL,
            }
        }
        key, raw = ApiKey.generate(user=client_a, name="cms")
        api = APIClient(HTTP_X_API_KEY=raw)
        assert api.get("/api/v1/claims/").status_code == 200
        admin = User.objects.create_superuser("root", "root@example.org", "pw")
        client.force_login(admin)
        client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
        response = api.get("/api/v1/claims/")
        assert response.status_code == 401
        assert error_of(response)["code"] == "authentication_failed"

    def test_a_revoked_key_cannot_write_either(self, client_a):
        key, raw = ApiKey.generate(user=client_a, name="cms")
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        response = APIClient(HTTP_X_API_KEY=raw).post(
            "/api/v1/webhooks/",
            {"url": "https://hooks.example/x", "events": ["claim.published"]},
            format="json",
        )
        assert response.status_code == 401
