"""EXPLAIN (ANALYZE, BUFFERS) of every query the hot API endpoints run, at benchmark scale.

    .venv/bin/python tests/benchmarks/explain_api.py [--url ...] [--full] > build/bench/explain.txt

Calls each endpoint in process (Django test client, a reviewer's API key) against the
benchmark corpus (BENCH_DATABASE_URL, default factcheck_bench), captures the SQL it runs,
and explains each statement: the slowest plans first, so the next index to add is on top.
Not run by `make bench` (it is a tool for reading plans, not a measurement).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/factcheck_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--full", action="store_true", help="print every plan in full")
    parser.add_argument("--client", action="store_true", help="as a client, not a reviewer")
    args = parser.parse_args(argv)
    os.environ.update(
        DATABASE_URL=args.url,
        DEBUG="0",
        SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdef",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="testserver",
        API_THROTTLE_BURST="1000000/min",
        DB_STATEMENT_TIMEOUT_MS="0",
        DJANGO_SETTINGS_MODULE="factcheck.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api.models import ApiKey
    from claims.roles import CLIENTS, REVIEWERS

    username, group = ("bench-client", CLIENTS) if args.client else ("bench-reviewer", REVIEWERS)
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": not args.client}
    )
    user.groups.add(Group.objects.get(name=group))
    _, raw = ApiKey.generate(user=user, name="explain")
    web = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM claims_claim c WHERE EXISTS (SELECT 1 FROM claims_appearance a "
            "WHERE a.claim_id = c.id GROUP BY a.claim_id HAVING count(*) > 1) "
            "AND c.status = 'published' ORDER BY c.id DESC LIMIT 1"
        )
        claim_id = cursor.fetchone()[0]
    paths = [
        "/api/v1/claims/?status=queued&page_size=50",
        "/api/v1/claims/?status=published&page_size=50",
        "/api/v1/claims/?status=new&status=triaged&page_size=50",
        "/api/v1/claims/?page_size=50",
        f"/api/v1/claims/{claim_id}/",
        # Full-text search (claims.selectors.claim_search): a common word, a rare one, and
        # common words that seldom meet, the case PostgreSQL's estimate gets wrong.
        "/api/v1/claims/?q=killed+Bamako&page_size=50",
        "/api/v1/claims/?q=said&page_size=50",
        "/api/v1/claims/?q=Bamako&page_size=50",
        "/api/v1/claims/?q=denied+minister+monday&page_size=50",
        "/api/v1/claims/?q=ministry+caused&status=published&page_size=50",
        "/api/v1/claims/similar/?text=Officials+said+over+140+people+were+killed+in+Bamako",
        "/api/v1/sources/?page_size=50",
        "/api/v1/queue/?page_size=50",
        "/api/v1/queue/?state=queued&page_size=50",
        "/api/v1/reviews/?page_size=50",
        "/api/v1/reviews/?status=published&page_size=50",
        "/api/v1/appearances/?page_size=50",
        "/api/v1/figures/?page_size=50",
        "/api/v1/claimreviews/?page_size=50",
    ]
    for path in paths:
        web.get(path)  # warm: the plans below are of a warm cache, as in production
        with CaptureQueriesContext(connection) as captured:
            response = web.get(path)
        print(f"\n=== GET {path} -> {response.status_code}, {len(captured)} queries")
        plans = []
        with connection.cursor() as cursor:
            for query in captured.captured_queries:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines = [row[0] for row in cursor.fetchall()]
                total = next(
                    (float(x.split(":")[1].split()[0]) for x in lines if "Execution Time" in x),
                    0.0,
                )
                plans.append((total, sql, lines))
        for total, sql, lines in sorted(plans, key=lambda p: -p[0]):
            print(f"--- {total:.2f} ms  {sql[:160]}")
            shown = lines if args.full or total > 2.0 else lines[:1]
            for line in shown:
                print(f"      {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
