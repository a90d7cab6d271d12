"""The Content-Security-Policy blocks nothing the desk's pages need: a real browser reports
every violation on the console, and none may appear."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from claims.models import Claim
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "e2e-demo-password"


@pytest.fixture
def seeded(monkeypatch):
    monkeypatch.setenv("FACTCHECK_DEMO_PASSWORD", PASSWORD)
    call_command("load_seeds", stdout=StringIO())


def test_the_admin_workbench_and_the_docs_run_under_the_policy(seeded, new_page):
    page = new_page()
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the browser's own guess at an icon, which this site does not have
        if "Content Security Policy" in message.text or message.type == "error":
            problems.append(f"{message.text} at {page.url} {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    login(page, "editor", PASSWORD)
    claim = Claim.objects.order_by("pk").first()
    assert claim is not None
    for path, ready in [
        ("/admin/claims/claim/queue/", "#my-queue"),
        (f"/admin/claims/claim/{claim.pk}/change/", ".fc-sentence"),
        ("/admin/claims/claim/dashboard/", "body"),
        ("/admin/claims/claim/?q=Mali", "#result_list"),
        ("/api/v1/claims/", "body"),  # the browsable API, on the admin session
        ("/api/docs/", "#swagger-ui .opblock"),  # Swagger UI really started
    ]:
        response = page.goto(path)
        assert response is not None, path
        assert response.ok, path
        assert "frame-ancestors 'none'" in (response.header_value("content-security-policy") or "")
        page.wait_for_selector(ready)
    assert problems == []
