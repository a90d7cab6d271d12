"""Floor views for `make bench` (tests/benchmarks/bench_api.py); mounted under /bench-floor/
only when FACTCHECK_BENCH_FLOOR=1 (api/urls.py), never in a production URL map.

Each API endpoint is measured against two floors served by the same gunicorn workers:

- `constant`: a bare Django view answering a constant; the cost of gunicorn, WSGI and
  the middleware alone (no DRF, no authentication, no database).
- the hand-written-SQL views: the same data as the API endpoint, read with one SQL query
  that builds the rows in PostgreSQL and `json.dumps` of them; the cost of the database
  alone, plus the same HTTP path.

They skip authentication and visibility rules on purpose: they answer as the desk would.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

_PAGE = 50

_VERDICT = """
    (SELECT json_build_object(
        'review_id', r.id, 'claim', r.claim_id, 'explanation', r.explanation,
        'published_at', r.published_at,
        'rating', json_build_object('slug', ra.slug, 'label', ra.label, 'value', ra.value,
                                    'best', ra.best, 'worst', ra.worst))
     FROM claims_review r LEFT JOIN claims_rating ra ON ra.id = r.rating_id
     WHERE r.status = 'published' AND r.claim_id IN (c.id, c.duplicate_of_id)
     ORDER BY r.claim_id = c.id DESC LIMIT 1)
"""
_TOPIC_SLUGS = """
    (SELECT coalesce(json_agg(t.slug), '[]'::json) FROM claims_claim_topics ct
     JOIN claims_topic t ON t.id = ct.topic_id WHERE ct.claim_id = c.id)
"""
LIST_SQL = f"""
    SELECT c.id, c.text, c.kind, c.language, c.status, c.checkworthiness, c.first_seen_at,
           c.version, c.priority, c.origin, c.flags, c.pipeline_error, c.pipeline_attempts,
           {_TOPIC_SLUGS} AS topics, {_VERDICT} AS verdict
    FROM claims_claim c
    WHERE c.status = %s
    ORDER BY c.first_seen_at DESC, c.id DESC
    LIMIT {_PAGE}
"""
SEARCH_SQL = f"""
    SELECT c.id, c.text, c.kind, c.language, c.status, c.checkworthiness, c.first_seen_at,
           c.version, c.priority, c.origin, c.flags, c.pipeline_error, c.pipeline_attempts,
           {_TOPIC_SLUGS} AS topics, {_VERDICT} AS verdict
    FROM claims_claim c
    WHERE c.search_vector @@ websearch_to_tsquery('english', factcheck_unaccent(%s))
    ORDER BY c.first_seen_at DESC, c.id DESC
    LIMIT {_PAGE}
"""
# The plain full-text part of similar-claim lookup: ranked candidates, no re-ranking.
SIMILAR_SQL = """
    SELECT c.id, c.text, c.kind, c.status, ts_rank(c.search_vector, q) AS rank
    FROM claims_claim c, websearch_to_tsquery('english', factcheck_unaccent(%s)) q
    WHERE c.search_vector @@ q
    ORDER BY rank DESC
    LIMIT 10
"""
DETAIL_SQL = f"""
    SELECT c.id, c.text, c.kind, c.language, c.status, c.checkworthiness, c.first_seen_at,
           c.version, c.priority, c.origin, c.flags, c.pipeline_error, c.pipeline_attempts,
           c.status_reason, c.checkworthiness_reasons, c.duplicate_of_id AS duplicate_of,
           {_VERDICT} AS verdict,
           (SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name,
                    'slug', t.slug, 'description', t.description)), '[]'::json)
            FROM claims_claim_topics ct JOIN claims_topic t ON t.id = ct.topic_id
            WHERE ct.claim_id = c.id) AS topics,
           (SELECT coalesce(json_agg(json_build_object(
                'id', a.id, 'sentence', a.sentence, 'start', a.start, 'end', a."end",
                'source', json_build_object('id', s.id, 'url', s.url, 'title', s.title,
                    'kind', s.kind, 'language', s.language, 'published_at', s.published_at,
                    'publisher', json_build_object('id', p.id, 'name', p.name,
                                                   'domain', p.domain)),
                'attributions', (SELECT coalesce(json_agg(json_build_object(
                        'id', at.id, 'source_text', at.source_text, 'cue', at.cue,
                        'kind', at.kind, 'channel', at.channel, 'parent', at.parent_id,
                        'source_start', at.source_start, 'source_end', at.source_end,
                        'actor', json_build_object('id', ac.id, 'name', ac.name,
                                                   'kind', ac.kind, 'country', ac.country))
                        ORDER BY at.id), '[]'::json)
                    FROM claims_attribution at LEFT JOIN claims_actor ac ON ac.id = at.actor_id
                    WHERE at.appearance_id = a.id),
                'figures', (SELECT coalesce(json_agg(json_build_object(
                        'id', f.id, 'metric', f.metric, 'value', f.value, 'lower', f.lower,
                        'upper', f.upper, 'qualifier', f.qualifier, 'unit', f.unit,
                        'text', f.text, 'start', f.start, 'end', f."end")
                        ORDER BY f.start), '[]'::json)
                    FROM claims_figure f WHERE f.appearance_id = a.id))
                ORDER BY a.source_id, a.start), '[]'::json)
            FROM claims_appearance a JOIN claims_source s ON s.id = a.source_id
            LEFT JOIN claims_publisher p ON p.id = s.publisher_id
            WHERE a.claim_id = c.id) AS appearances,
           (SELECT coalesce(json_agg(json_build_object(
                'claim', json_build_object('id', o.id, 'text', o.text, 'kind', o.kind,
                                           'status', o.status),
                'kind', l.kind, 'status', l.status, 'score', l.score)), '[]'::json)
            FROM claims_claimlink l
            JOIN claims_claim o ON o.id = CASE WHEN l.from_claim_id = c.id
                                               THEN l.to_claim_id ELSE l.from_claim_id END
            WHERE (l.from_claim_id = c.id OR l.to_claim_id = c.id)
              AND l.status <> 'rejected') AS links,
           (SELECT coalesce(json_agg(json_build_object('id', e.id, 'url', e.url,
                    'title', e.title, 'stance', e.stance, 'excerpt', e.excerpt)), '[]'::json)
            FROM claims_evidence e WHERE e.claim_id = c.id) AS evidence,
           (SELECT coalesce(json_agg(json_build_object('id', r.id, 'status', r.status,
                    'explanation', r.explanation, 'reviewer', u.username,
                    'published_at', r.published_at)), '[]'::json)
            FROM claims_review r JOIN auth_user u ON u.id = r.reviewer_id
            WHERE r.claim_id = c.id) AS reviews,
           (SELECT coalesce(json_agg(json_build_object('id', k.id, 'kind', k.kind,
                    'state', k.state, 'due_at', k.due_at)), '[]'::json)
            FROM claims_reviewtask k
            WHERE k.claim_id = c.id AND k.state IN ('queued', 'assigned')) AS open_tasks
    FROM claims_claim c
    WHERE c.id = %s
"""


def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col.name for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _json(payload: Any) -> HttpResponse:
    return HttpResponse(json.dumps(payload, default=str), content_type="application/json")


def constant(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def claims_list(request: HttpRequest) -> HttpResponse:
    return _json({"results": _rows(LIST_SQL, [request.GET.get("status", "queued")])})


def claims_search(request: HttpRequest) -> HttpResponse:
    return _json({"results": _rows(SEARCH_SQL, [request.GET.get("q", "")])})


def claims_similar(request: HttpRequest) -> HttpResponse:
    return _json(_rows(SIMILAR_SQL, [request.GET.get("text", "")]))


def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rows = _rows(DETAIL_SQL, [pk])
    return _json(rows[0]) if rows else JsonResponse({"error": "not found"}, status=404)


urlpatterns = [
    path("bench-floor/constant", constant),
    path("bench-floor/claims", claims_list),
    path("bench-floor/claims/search", claims_search),
    path("bench-floor/claims/similar", claims_similar),
    path("bench-floor/claims/<int:pk>", claim_detail),
]
