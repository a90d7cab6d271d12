"""Security of the deployment (issue #9, part 3): headers on every response, the admin's
CSRF and session cookies, secrets from files, and the production checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client as DjangoClient

from api.models import ApiKey
from claims.models import Claim
from factcheck import env
from tests.factcheck.test_settings import ROOT


def run_manage(*args: str, drop: tuple[str, ...] = (), **env_vars: str):
    """manage.py in a fresh process (settings are read once, at import)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env_vars},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class Client(DjangoClient):
    """Every request over HTTPS, as in production: HSTS is only ever sent there."""

    def request(self, **request):  # type: ignore[no-untyped-def]
        request.update({"wsgi.url_scheme": "https", "SERVER_PORT": "443"})
        return super().request(**request)


def _headers_are_set(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    hsts = response["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=\d{8}; includeSubDomains; preload", hsts), hsts


@pytest.fixture
def staff(db):
    user = User.objects.create_superuser("root", "root@example.org", "a long password 123")
    return user


@pytest.fixture
def api_key(db):
    from tests import factories as f

    _, raw = ApiKey.generate(user=f.make_client("client-a"), name="t")
    return raw


class TestHeaders:
    def test_an_api_answer_carries_every_security_header(self, api_key):
        response = Client().get("/api/v1/topics/", HTTP_X_API_KEY=api_key)
        assert response.status_code == 200
        _headers_are_set(response)
        # JSON is never meant to load or run anything.
        assert response["Content-Security-Policy"].startswith("default-src 'none'")

    def test_an_api_error_carries_them_too(self, db):
        for path in ("/api/v1/topics/", "/api/v1/no-such-thing/"):
            response = Client().get(path)
            assert response.status_code in {401, 404}
            _headers_are_set(response)

    def test_a_413_answered_before_any_view_carries_them(self, settings, db):
        settings.MAX_REQUEST_BYTES = 1024
        response = Client().post("/api/v1/sources/", "x" * 4096, content_type="application/json")
        assert response.status_code == 413
        _headers_are_set(response)

    def test_an_admin_page_carries_them_with_a_policy_the_admin_works_with(self, staff):
        client = Client()
        client.force_login(staff)
        response = client.get("/admin/claims/claim/")
        assert response.status_code == 200
        _headers_are_set(response)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-eval" not in policy
        # Every script of the page comes from a file on this origin: none inline, none
        # from elsewhere, so the policy blocks nothing the admin needs.
        page = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", page):
            if "application/json" in tag:
                continue  # data, not code
            assert re.search(r'src="/', tag), tag
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>\s*\S", page)
        assert not re.search(r"\son(click|load|change|submit)=", page)

    def test_the_login_page_and_an_error_page_carry_them(self, db):
        response = Client().get("/admin/login/")
        assert response.status_code == 200
        _headers_are_set(response)
        missing = Client().get("/no-such-page")
        assert missing.status_code == 404
        _headers_are_set(missing)

    def test_a_server_error_page_carries_them(self, api_key, monkeypatch):
        from api import views

        def boom(*args, **kwargs):
            raise RuntimeError("bug")

        monkeypatch.setattr(views.TopicViewSet, "list", boom)
        client = Client(raise_request_exception=False)
        response = client.get("/api/v1/topics/", HTTP_X_API_KEY=api_key)
        assert response.status_code == 500
        _headers_are_set(response)

    def test_the_docs_page_runs_no_inline_script(self, db):
        response = Client().get("/api/docs/")
        assert response.status_code == 200
        _headers_are_set(response)
        page = response.content.decode()
        assert not re.search(r"<script>\s*\S", page)
        script = Client().get("/api/docs/?script=")
        assert script.status_code == 200
        assert "SwaggerUIBundle" in script.content.decode()

    def test_hsts_is_not_sent_over_plain_http(self, db):
        response = DjangoClient().get("/healthz")
        assert "Strict-Transport-Security" not in response
        assert response["X-Content-Type-Options"] == "nosniff"


class TestAdminSession:
    def test_a_login_without_a_csrf_token_is_refused(self, staff):
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            "/admin/login/", {"username": "root", "password": "a long password 123"}
        )
        assert response.status_code == 403
        assert "sessionid" not in response.cookies

    def test_a_change_without_a_csrf_token_is_refused(self, staff):
        from tests import factories as f

        topic = f.TopicFactory(slug="crocus", name="Crocus")
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff)
        response = client.post(
            f"/admin/claims/topic/{topic.pk}/change/",
            {"name": "Renamed by a forged form", "slug": "crocus"},
        )
        assert response.status_code == 403
        topic.refresh_from_db()
        assert topic.name == "Crocus"

    def test_a_session_write_to_the_api_without_a_csrf_token_is_refused(self, staff):
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff)
        response = client.post(
            "/api/v1/claims/", {"text": "forged"}, content_type="application/json"
        )
        assert response.status_code == 403
        assert not Claim.objects.exists()

    def test_a_login_with_the_token_works_and_sets_safe_cookies(self, staff):
        client = Client(enforce_csrf_checks=True)
        page = client.get("/admin/login/")
        token = page.cookies["csrftoken"].value
        response = client.post(
            "/admin/login/?next=/admin/",
            {
                "username": "root",
                "password": "a long password 123",
                "csrfmiddlewaretoken": token,
                "next": "/admin/",
            },
            # Over HTTPS Django also checks that the form was posted from this site.
            HTTP_REFERER="https://testserver/admin/login/",
        )
        assert response.status_code == 302
        session = response.cookies["sessionid"]
        assert session["secure"] is True
        assert session["httponly"] is True
        assert session["samesite"] == "Lax"
        csrf = response.cookies.get("csrftoken") or page.cookies["csrftoken"]
        assert csrf["secure"] is True
        assert csrf["samesite"] == "Lax"

    def test_sessions_expire(self, settings):
        assert settings.SESSION_COOKIE_AGE <= 24 * 3600


class TestSecretsFromFiles:
    def test_a_value_is_read_from_a_file_without_its_trailing_newline(self, tmp_path, monkeypatch):
        path = tmp_path / "db"
        path.write_text("postgres://u:p%40ss@db:5432/factcheck\n")
        monkeypatch.delenv("FACTCHECK_TEST_URL", raising=False)
        monkeypatch.setenv("FACTCHECK_TEST_URL_FILE", str(path))
        assert env.envstr("FACTCHECK_TEST_URL", "") == "postgres://u:p%40ss@db:5432/factcheck"

    def test_every_reader_accepts_a_file(self, tmp_path, monkeypatch):
        for name, content, reader, expected in [
            ("FC_T_INT", "42\n", lambda n: env.envint(n, 1), 42),
            ("FC_T_BOOL", "yes", lambda n: env.envbool(n, False), True),
            ("FC_T_LIST", "a.org, b.org", lambda n: env.envlist(n, []), ["a.org", "b.org"]),
            ("FC_T_FLOAT", "2.5", lambda n: env.envfloat(n, 0.0), 2.5),
            ("FC_T_OPT", "s3cr3t", env.envstr_or_none, "s3cr3t"),
        ]:
            path = tmp_path / name
            path.write_text(content)
            monkeypatch.setenv(f"{name}_FILE", str(path))
            assert reader(name) == expected, name

    def test_an_unreadable_file_is_refused_by_name(self, tmp_path, monkeypatch):
        monkeypatch.setenv("FC_T_SECRET_FILE", str(tmp_path / "missing"))
        with pytest.raises(ImproperlyConfigured, match=r"FC_T_SECRET_FILE=.*cannot be read"):
            env.envstr("FC_T_SECRET", "")

    def test_a_value_set_twice_is_refused(self, tmp_path, monkeypatch):
        path = tmp_path / "secret"
        path.write_text("from-file")
        monkeypatch.setenv("FC_T_SECRET", "from-env")
        monkeypatch.setenv("FC_T_SECRET_FILE", str(path))
        with pytest.raises(ImproperlyConfigured, match="Both FC_T_SECRET and FC_T_SECRET_FILE"):
            env.envstr("FC_T_SECRET", "")

    def test_an_empty_file_path_is_refused(self, monkeypatch):
        monkeypatch.setenv("FC_T_SECRET_FILE", " ")
        with pytest.raises(ImproperlyConfigured, match="empty"):
            env.envstr("FC_T_SECRET", "")

    def test_the_secret_key_and_database_url_start_the_app_from_files(self, tmp_path):
        secret = tmp_path / "secret_key"
        secret.write_text("file-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ\n")
        database = tmp_path / "database_url"
        database.write_text("postgres://postgres@127.0.0.1:5432/from_a_file\n")
        result = run_manage(
            "shell",
            "-c",
            "from django.conf import settings as s; "
            "print(s.SECRET_KEY[:11], s.DATABASES['default']['NAME'])",
            DEBUG="0",
            SECRET_KEY_FILE=str(secret),
            DATABASE_URL_FILE=str(database),
            ALLOWED_HOSTS="factcheck.example.org",
            drop=("DATABASE_URL",),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1].split() == ["file-secret", "from_a_file"]


def test_check_deploy_reports_no_security_issue_with_a_production_environment():
    result = run_manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY="kq8#z1!vX0-production-grade-secret-4mT@b9&Lr2^pYw7$eN5cH3uJ6gF",
        ALLOWED_HOSTS="factcheck.example.org",
        CSRF_TRUSTED_ORIGINS="https://factcheck.example.org",
        SECURE_SSL_REDIRECT="1",
        BEHIND_TLS_PROXY="1",
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert not re.search(r"\(security\.[WE]\d+\)", output), output
