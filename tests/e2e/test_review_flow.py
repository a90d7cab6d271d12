"""A reviewer and an editor work through a seed claim in a real browser."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from api.models import ApiKey
from claims.models import Claim, Review
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "e2e-demo-password"


@pytest.fixture
def seeded(monkeypatch):
    monkeypatch.setenv("FACTCHECK_DEMO_PASSWORD", PASSWORD)
    call_command("load_seeds", stdout=StringIO())


def test_a_reviewer_checks_a_seed_claim_and_an_editor_publishes_it(
    seeded, new_page, screenshot, live_server
):
    reviewer = new_page()
    login(reviewer, "reviewer", PASSWORD)
    reviewer.click("text=My queue")
    reviewer.wait_for_selector("#my-queue")
    screenshot(reviewer, "queue")

    # The seed's claims were queued by the pipeline; open the first one in my queue.
    reviewer.click("#my-queue a.fc-claim-link >> nth=0")
    reviewer.wait_for_selector(".fc-sentence")
    claim_id = int(reviewer.url.rstrip("/").split("/")[-2])
    # The attribution is highlighted in the sentence and spelled out as a chain.
    assert (
        reviewer.locator("mark.fc-cue").count() >= 1
        or reviewer.locator("mark.fc-figure").count() >= 1
    )
    assert reviewer.locator(".fc-chain").count() >= 1
    screenshot(reviewer, "claim")

    reviewer.select_option("#id_evidence_stance", "refutes")
    reviewer.fill("#id_evidence_url", "https://www.interior.example/briefing")
    reviewer.fill("#id_evidence_title", "Ministry briefing")
    reviewer.click("#add-evidence-button")
    reviewer.wait_for_selector("text=Evidence added.")

    reviewer.select_option("#id_verdict_rating", "mostly-true")
    reviewer.fill("#id_verdict_explanation", "The Kremlin's readout matches Mali's statement.")
    reviewer.click("#submit-verdict")
    reviewer.wait_for_selector("text=waits for an editor")
    assert Review.objects.get(claim_id=claim_id).status == "submitted"

    editor = new_page()
    login(editor, "editor", PASSWORD)
    editor.click("text=My queue")
    editor.click("#take-next-approval")
    editor.wait_for_selector("#approve-verdict")
    assert editor.inner_text("#submitted-rating") == "Mostly true"
    editor.click("#approve-verdict")
    editor.wait_for_selector("text=Approved and published")
    assert Claim.objects.get(pk=claim_id).status == "published"

    editor.click("#workbench-dashboard")
    editor.wait_for_selector("#verdict-chart svg rect", state="attached")
    screenshot(editor, "dashboard")

    # The published verdict is served as ClaimReview to API clients.
    _key, raw = ApiKey.generate(user=ApiKey.objects.first().user, name="e2e")
    response = editor.request.get(
        f"{live_server.url}/api/v1/claims/{claim_id}/claimreview",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status == 200, response.text()
    body = response.json()
    assert body["@type"] == "ClaimReview"
    assert body["reviewRating"]["alternateName"] == "Mostly true"


def test_an_editor_who_reviewed_a_claim_cannot_approve_it(seeded, new_page):
    editor = new_page()
    login(editor, "editor", PASSWORD)
    editor.click("text=My queue")
    editor.click("#take-next")
    editor.wait_for_selector("#verdict-form")
    editor.select_option("#id_verdict_rating", "false")
    editor.fill("#id_verdict_explanation", "Contradicted by the official toll.")
    editor.click("#submit-verdict")
    editor.wait_for_selector("text=waits for an editor")

    # Their own submission is not offered to them for approval ...
    editor.click("#take-next-approval")
    editor.wait_for_selector("text=no queued approval task")
    # ... and on the claim page there is no approve button, only the explanation.
    review = Review.objects.get(reviewer__username="editor", status="submitted")
    editor.goto(f"/admin/claims/claim/{review.claim_id}/change/")
    editor.wait_for_selector("#own-review-note")
    assert editor.locator("#approve-verdict").count() == 0
