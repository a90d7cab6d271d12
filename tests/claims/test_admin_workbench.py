"""The reviewers' workbench in the admin, driven through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimLink, Evidence, Review, ReviewTask
from tests import factories as f

pytestmark = pytest.mark.django_db


def queued_claim(**kwargs):
    claim = f.ClaimFactory(**kwargs)
    services.claim_triage(claim=claim)
    services.claim_queue(claim=claim)
    return claim


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def act(client, claim, **data):
    data.setdefault("version", Claim.objects.get(pk=claim.pk).version)
    return client.post(reverse("admin:claims_claim_act", args=[claim.pk]), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_take_next_assigns_the_most_urgent_claim_and_opens_it(client, reviewer):
    queued_claim(priority=1)
    urgent = queued_claim(priority=50)
    client.force_login(reviewer)
    response = client.post(reverse("admin:claims_claim_take_next"), {"kind": "review"})
    assert response.status_code == 302
    assert response["Location"] == change_url(urgent)
    assert ReviewTask.objects.get(claim=urgent).assignee == reviewer


def test_my_queue_lists_my_tasks_most_urgent_first_with_their_attribution(client, reviewer):
    later = queued_claim(priority=90)
    sooner = queued_claim(priority=1)
    # Due time decides first; priority breaks ties.
    ReviewTask.objects.filter(claim=later).update(due_at=timezone.now() + timedelta(days=3))
    f.AttributionFactory(
        appearance=f.AppearanceFactory(claim=sooner), source_text="the Kremlin", cue="according to"
    )
    client.force_login(reviewer)
    services.task_take_next(user=reviewer)
    services.task_take_next(user=reviewer)
    page = client.get(reverse("admin:claims_claim_queue")).content.decode()
    assert page.index(sooner.text[:40]) < page.index(later.text[:40])
    assert "according to" in page


def test_an_empty_queue_says_so(client, reviewer):
    client.force_login(reviewer)
    response = client.post(reverse("admin:claims_claim_take_next"), {"kind": "review"}, follow=True)
    assert any("no queued review task" in m for m in messages_of(response))


def test_a_reviewer_drafts_and_submits_a_verdict_then_an_editor_approves(client, reviewer, editor):
    claim = queued_claim()
    services.task_take_next(user=reviewer)
    client.force_login(reviewer)
    act(client, claim, action="save_draft", rating="false", explanation="The ministry says 14.")
    assert Review.objects.get(claim=claim).status == "draft"
    act(client, claim, action="submit", rating="false", explanation="The ministry says 14.")
    review = Review.objects.get(claim=claim)
    assert review.status == "submitted"

    client.force_login(editor)
    page = client.get(change_url(claim)).content.decode()
    assert 'id="approve-verdict"' in page
    act(client, claim, action="approve", review=review.pk)
    review.refresh_from_db()
    assert review.status == "published"
    assert review.claimreview["reviewRating"]["alternateName"] == "False"


def test_an_editor_rejects_with_a_comment_and_the_reviewer_sees_it(client, reviewer, editor):
    claim = queued_claim()
    services.task_take_next(user=reviewer)
    client.force_login(reviewer)
    act(client, claim, action="submit", rating="mixed", explanation="Partly right.")
    client.force_login(editor)
    act(
        client,
        claim,
        action="reject",
        review=Review.objects.get(claim=claim).pk,
        comment="Add the UN figure.",
    )
    client.force_login(reviewer)
    page = client.get(change_url(claim)).content.decode()
    assert "Add the UN figure." in page
    assert 'id="verdict-form"' in page


def test_an_editor_cannot_approve_their_own_review(client, editor):
    claim = queued_claim()
    services.task_take_next(user=editor)
    client.force_login(editor)
    act(client, claim, action="submit", rating="true", explanation="Confirmed by records.")
    page = client.get(change_url(claim)).content.decode()
    assert 'id="own-review-note"' in page
    assert 'id="approve-verdict"' not in page
    response = act(client, claim, action="approve", review=Review.objects.get(claim=claim).pk)
    assert any("own review" in m for m in messages_of(response))
    assert Review.objects.get(claim=claim).status == "submitted"


def test_a_stale_form_is_refused_with_a_clear_message_and_changes_nothing(client, reviewer, editor):
    claim = queued_claim()
    services.task_take_next(user=reviewer)
    seen = Claim.objects.get(pk=claim.pk).version
    # Meanwhile an editor dismisses the claim.
    services.claim_dismiss(claim=claim, by=editor, reason="Out of scope")
    client.force_login(reviewer)
    response = act(client, claim, version=seen, action="submit", rating="false", explanation="x")
    assert any("Someone else changed this claim" in m for m in messages_of(response))
    assert not Review.objects.filter(claim=claim).exists()


def test_the_claim_edit_form_refuses_a_stale_version(client, editor):
    claim = f.ClaimFactory(text="Original text of the claim.")
    seen = claim.version
    Claim.objects.filter(pk=claim.pk).update(version=seen + 1)
    client.force_login(editor)
    response = client.post(
        change_url(claim),
        {
            "seen_version": seen,
            "text": "My edit",
            "kind": "other",
            "language": "en",
            "priority": 0,
            "appearances-TOTAL_FORMS": 0,
            "appearances-INITIAL_FORMS": 0,
            "reviews-TOTAL_FORMS": 0,
            "reviews-INITIAL_FORMS": 0,
            "links_out-TOTAL_FORMS": 0,
            "links_out-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this claim" in response.content.decode()
    assert Claim.objects.get(pk=claim.pk).text == "Original text of the claim."


def test_merging_moves_appearances_evidence_and_links_to_the_survivor(client, editor):
    survivor, merged, third = f.ClaimFactory(), f.ClaimFactory(), f.ClaimFactory()
    appearance = f.AppearanceFactory(claim=merged)
    Evidence.objects.create(claim=merged, url="https://stats.example/x", stance="refutes")
    ClaimLink.objects.create(from_claim=third, to_claim=merged, kind="similar")
    client.force_login(editor)
    act(client, merged, action="merge", into=str(survivor.pk))
    merged.refresh_from_db()
    appearance.refresh_from_db()
    assert merged.status == Claim.Status.DUPLICATE
    assert merged.duplicate_of == survivor
    assert appearance.claim == survivor
    assert survivor.evidence.count() == 1
    assert ClaimLink.objects.filter(from_claim=third, to_claim=survivor, kind="similar").exists()


def test_reviewers_do_not_get_the_merge_and_dismiss_tools(client, reviewer):
    claim = f.ClaimFactory()
    client.force_login(reviewer)
    assert 'id="editor-tools"' not in client.get(change_url(claim)).content.decode()
    response = act(client, claim, action="dismiss", reason="meh")
    assert any("not allowed" in m for m in messages_of(response))


def test_an_editor_reassigns_a_task(client, editor, reviewer, reviewer2):
    claim = queued_claim()
    services.task_take_next(user=reviewer)
    client.force_login(editor)
    act(client, claim, action="reassign", assignee=reviewer2.pk)
    assert ReviewTask.objects.get(claim=claim, state="assigned").assignee == reviewer2


def test_user_text_is_escaped_everywhere_on_the_claim_page(client, editor):
    evil = '<script>alert("x")</script> killed 140 <img src=x onerror=alert(1)>'
    claim = f.ClaimFactory(text=evil)
    source = f.SourceFactory(text=evil, title="<b>title</b>")
    appearance = f.AppearanceFactory(
        claim=claim, source=source, sentence=evil, start=0, end=len(evil)
    )
    f.AttributionFactory(
        appearance=appearance, source_text="<i>Kremlin</i>", cue_start=0, cue_end=8
    )
    client.force_login(editor)
    page = client.get(change_url(claim)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "<img src=x" not in page
    assert "<i>Kremlin</i>" not in page


def test_the_claim_page_renders_in_a_bounded_number_of_queries(
    client, editor, django_assert_max_num_queries
):
    def build(n_appearances: int) -> Claim:
        claim = f.ClaimFactory()
        for _ in range(n_appearances):
            appearance = f.AppearanceFactory(claim=claim)
            f.AttributionFactory(appearance=appearance)
            f.FigureFactory(appearance=appearance)
        return claim

    client.force_login(editor)
    small, large = build(1), build(8)
    with django_assert_max_num_queries(60):
        assert client.get(change_url(small)).status_code == 200
    with django_assert_max_num_queries(60):
        assert client.get(change_url(large)).status_code == 200


def test_the_dashboard_is_for_editors_and_shows_queue_overdue_and_verdicts(
    client, editor, reviewer
):
    claim = queued_claim()
    services.task_take_next(user=reviewer)
    review = services.review_draft(
        claim=claim, reviewer=reviewer, rating=f.rating("true"), explanation="Confirmed."
    )
    services.review_approve(review=services.review_submit(review=review, by=reviewer), by=editor)
    queued_claim()
    client.force_login(reviewer)
    assert client.get(reverse("admin:claims_claim_dashboard")).status_code == 403
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_dashboard")).content.decode()
    assert "Open tasks by state" in page
    assert "review queued" in page
    assert "Published verdicts by rating" in page
    assert "<title>Published verdicts by rating</title>" in page
    assert "True: 1" in page
    assert 'id="median-time"' in page


def test_a_reviewer_adds_edits_and_removes_evidence_with_a_stance(client, reviewer):
    claim = queued_claim()
    client.force_login(reviewer)
    act(
        client,
        claim,
        action="add_evidence",
        stance="refutes",
        url="https://stats.example/t",
        title="Toll",
    )
    evidence = Evidence.objects.get(claim=claim)
    assert (evidence.stance, evidence.added_by) == ("refutes", reviewer)
    act(
        client,
        claim,
        action="edit_evidence",
        evidence=evidence.pk,
        stance="context",
        url=evidence.url,
        title="Toll",
        excerpt="",
    )
    evidence.refresh_from_db()
    assert evidence.stance == "context"
    act(client, claim, action="remove_evidence", evidence=evidence.pk)
    assert not Evidence.objects.filter(claim=claim).exists()


def test_evidence_without_url_or_excerpt_is_refused_with_a_reason(client, reviewer):
    claim = queued_claim()
    client.force_login(reviewer)
    response = act(client, claim, action="add_evidence", stance="refutes", url="", excerpt="")
    assert any("URL or an excerpt" in m for m in messages_of(response))
