"""Figure timelines and conflict flags on the seed topic (Crocus City Hall attack).

The seed article (RT, 27 March 2024) reports "over 140" killed, according to Russian
authorities. A second outlet the same evening reports 137 killed: the two cannot both be
right, so both claims are flagged. A third report a week later (145 killed) is an update,
not a conflict. Sources go through the real pipeline (source_submit, extraction, triage);
topics are set the way an editor sets them, through the API.
"""

from __future__ import annotations

from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiKey
from claims import figures
from claims.models import Claim, Figure, Publisher, Topic
from claims.sources import source_submit

pytestmark = pytest.mark.django_db

TOPIC = "crocus-city-hall-attack"
SAME_EVENING = (
    "Russian investigators said the terrorist attack on the Crocus City Hall concert venue "
    "killed 137 people."
)
A_WEEK_LATER = (
    "The death toll of the Crocus City Hall attack has risen to 145 people killed, according "
    "to the Russian Health Ministry."
)


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Processing is enqueued, and flags refreshed, after commit: run both here."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def seed(run_on_commit):
    # On a real database the article is processed as load_seeds commits it, before the
    # command links claims to topics; inside a test transaction processing waits for the
    # end of the block, so the second (idempotent) run is the one that links the topics.
    run_on_commit(call_command, "load_seeds", stdout=StringIO())
    run_on_commit(call_command, "load_seeds", stdout=StringIO())
    return Claim.objects.get(topics__slug=TOPIC, text__contains="killed over 140")


@pytest.fixture
def editor_api(editor):
    _, raw = ApiKey.generate(user=editor, name="desk")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.fixture
def report(run_on_commit, editor_api):
    """Submit an article through the pipeline and put its claim on the seed topic."""

    def submit(text: str, *, published_at: str, outlet: str) -> Claim:
        publisher = Publisher.objects.create(name=outlet, domain=f"{outlet.lower()}.example")
        source = run_on_commit(
            source_submit,
            text=text,
            title=f"{outlet} report",
            publisher=publisher,
            published_at=datetime.fromisoformat(published_at),
        )
        claim = Claim.objects.get(appearances__source=source)
        url = f"/api/v1/claims/{claim.pk}/"
        etag = editor_api.get(url)["ETag"]
        response = run_on_commit(
            editor_api.patch, url, {"topics": [TOPIC]}, format="json", HTTP_IF_MATCH=etag
        )
        assert response.status_code == 200, response.content
        claim.refresh_from_db()
        return claim

    return submit


def _conflict_flags(claim: Claim) -> list[dict]:
    claim.refresh_from_db()
    return [f for f in claim.flags if f["kind"] == figures.FIGURE_CONFLICT]


def test_a_different_toll_the_same_day_flags_both_claims(seed, report):
    seed_version = Claim.objects.get(pk=seed.pk).version
    other = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")

    [on_seed] = _conflict_flags(seed)
    [on_other] = _conflict_flags(other)
    assert on_seed == {
        "kind": "figure_conflict",
        "message": "Reports over 140 killed; Interfax reported 137 killed on the same day",
        "claims": [other.pk],
        "metric": "killed",
        "topic": TOPIC,
    }
    assert on_other["claims"] == [seed.pk]
    assert on_other["message"] == "Reports 137 killed; RT reported over 140 killed on the same day"
    assert Claim.objects.get(pk=seed.pk).version == seed_version + 1


def test_a_later_update_is_not_a_conflict(seed, report):
    later = report(A_WEEK_LATER, published_at="2024-04-03T09:00:00+00:00", outlet="TASS")
    assert _conflict_flags(later) == []
    assert _conflict_flags(seed) == []


def test_an_update_a_week_later_does_not_conflict_with_the_same_day_reports(seed, report):
    same_day = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    later = report(A_WEEK_LATER, published_at="2024-04-03T09:00:00+00:00", outlet="TASS")
    # 145 cannot be 137, but a week apart it is an update of the toll, not a contradiction.
    assert _conflict_flags(later) == []
    assert [f["claims"] for f in _conflict_flags(same_day)] == [[seed.pk]]
    assert [f["claims"] for f in _conflict_flags(seed)] == [[same_day.pk]]


def test_the_desk_api_claim_detail_shows_the_flag(seed, report, editor_api):
    other = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    body = editor_api.get(f"/api/v1/claims/{seed.pk}/").json()
    assert [f["claims"] for f in body["flags"]] == [[other.pk]]
    assert body["flags"][0]["message"].startswith("Reports over 140 killed; Interfax reported")


def test_the_admin_claim_page_shows_the_flag_and_the_timeline(seed, report, client, editor):
    report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_change", args=[seed.pk])).content.decode()
    assert "Reports over 140 killed; Interfax reported 137 killed on the same day" in page
    assert 'id="figure-timelines"' in page
    assert "<svg" in page
    assert "Conflicting figures reported at about the same time" in page


def test_the_admin_topic_page_charts_and_tabulates_every_value(seed, report, client, editor):
    same_day = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    later = report(A_WEEK_LATER, published_at="2024-04-03T09:00:00+00:00", outlet="TASS")
    topic = Topic.objects.get(slug=TOPIC)
    client.force_login(editor)
    response = client.get(reverse("admin:claims_topic_change", args=[topic.pk]))
    assert response.status_code == 200
    [killed] = [t for t in response.context["figure_timelines"] if t["metric"] == "killed"]
    rows = [
        (r["described"], r["publisher"], r["claim_id"], r["conflicts_with"]) for r in killed["rows"]
    ]
    assert rows == [
        ("over 140 killed", "RT", seed.pk, [same_day.pk]),
        ("137 killed", "Interfax", same_day.pk, [seed.pk]),
        ("145 killed", "TASS", later.pk, []),
    ]
    assert killed["rows"][0]["attribution"] == "according to Russian authorities"
    page = response.content.decode()
    assert page.count('<tr class="fc-conflict">') == 2
    assert 'id="topic-figures-killed"' in page
    assert page.count('fill="#ba2121"') == 2  # the conflicting reports, in red on the chart
    # Injured is charted too (the seed's "200 more"), without conflicts.
    assert any(t["metric"] == "injured" for t in response.context["figure_timelines"])


def test_correcting_a_figure_in_the_admin_removes_stale_flags_and_keeps_other_kinds(
    seed, report, client, editor, django_capture_on_commit_callbacks
):
    other = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    Claim.objects.filter(pk=other.pk).update(
        flags=[{"kind": "note", "message": "kept"}, *Claim.objects.get(pk=other.pk).flags]
    )
    figure = Figure.objects.get(appearance__claim=other, metric="killed")
    client.force_login(editor)
    url = reverse("admin:claims_figure_change", args=[figure.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(value=142, lower=142, upper=142, additional="")
    data = {k: v for k, v in data.items() if k in form.fields}
    data.pop("additional")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content
    assert _conflict_flags(seed) == []
    other.refresh_from_db()
    assert other.flags == [{"kind": "note", "message": "kept"}]


def test_refreshing_unchanged_figures_changes_nothing(seed, report):
    other = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    versions = dict(Claim.objects.values_list("pk", "version"))
    topic = Topic.objects.get(slug=TOPIC)
    assert figures.figure_flags_refresh(topic=topic, metric="Killed") == []
    assert figures.figure_flags_refresh_for_claims(claim_ids=[seed.pk, other.pk]) == []
    assert dict(Claim.objects.values_list("pk", "version")) == versions


def test_taking_a_claim_off_the_topic_clears_the_flags_on_both_sides(
    seed, report, editor_api, run_on_commit
):
    other = report(SAME_EVENING, published_at="2024-03-27T18:00:00+00:00", outlet="Interfax")
    assert _conflict_flags(seed)
    url = f"/api/v1/claims/{other.pk}/"
    etag = editor_api.get(url)["ETag"]
    response = run_on_commit(
        editor_api.patch, url, {"topics": []}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert _conflict_flags(seed) == []
    assert _conflict_flags(other) == []
