"""Search structures for claim matching (claims/matching.py).

On PostgreSQL:
- the pg_trgm and unaccent extensions;
- `factcheck_unaccent(text)`, an IMMUTABLE wrapper of unaccent() (unaccent itself is only
  STABLE, because its dictionary could change, so it cannot appear in a generated column or
  an index expression);
- `claims_claim.search_vector`, a stored generated tsvector (english, unaccented) that
  PostgreSQL keeps in step with `text` on every insert and update, COPY included, with a
  GIN index: the full-text candidate query of matching.similar_claims;
- a pg_trgm GIN index on the unaccented text: trigram candidates for short or misspelt
  queries that full text misses, and `similarity()` for the re-ranker.

The column is deliberately not a model field: the ORM never reads or writes it (matching
uses raw SQL), and on SQLite (`make run`) none of this exists; matching falls back to a
rapidfuzz scan there. TrigramExtension/UnaccentExtension are no-ops on SQLite.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION factcheck_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    """
    ALTER TABLE claims_claim ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('english'::regconfig, factcheck_unaccent(text))) STORED
    """,
    # similar_claims: `search_vector @@ to_tsquery('english', ...)`.
    "CREATE INDEX claim_search_vector_idx ON claims_claim USING gin (search_vector)",
    # similar_claims: `factcheck_unaccent(text) % %s` when full text finds too little.
    """
    CREATE INDEX claim_text_trgm_idx ON claims_claim
    USING gin (factcheck_unaccent(text) gin_trgm_ops)
    """,
]

BACKWARD = [
    "DROP INDEX IF EXISTS claim_text_trgm_idx",
    "DROP INDEX IF EXISTS claim_search_vector_idx",
    "ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS factcheck_unaccent(text)",
]


class _PgOnly:
    """Django's extension operations skip SQLite going forwards but not backwards."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Trigram(_PgOnly, TrigramExtension):
    pass


class Unaccent(_PgOnly, UnaccentExtension):
    pass


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_role_groups")]

    operations = [
        Trigram(),
        Unaccent(),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
