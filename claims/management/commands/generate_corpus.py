"""Build a realistic synthetic corpus for benchmarks and demos.

    manage.py generate_corpus --claims 1000000 --seed 7

Publishers, actors with aliases, topics, sources, claims, appearances, attributions,
figures, reviews, review tasks and duplicate links, in the proportions a busy desk sees:
about eight claims per source, a third of them picked up again by the next source (1-2
appearances per claim), half the appearances attributed, a fifth of the claims carrying a
figure, a few percent reviewed and published (with a rated review), review tasks on the
queued and in-review ones, and some claims repeating earlier ones reworded or with a
changed figure. Words are drawn from a
Zipf-like vocabulary (a few hundred news words, then a long tail of rare names), so
full-text statistics look like real copy's. The same --seed gives the same corpus.

On PostgreSQL the rows go in through COPY (psycopg 3); the claim search indexes are
dropped during a large load and rebuilt after it, which is several times faster than
maintaining them row by row. Elsewhere (SQLite) bulk_create does the same job, slowly.
History rows (django-simple-history) are not written for generated data.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction

from claims import matching
from claims.models import (
    Actor,
    ActorAlias,
    Appearance,
    Attribution,
    Claim,
    ClaimLink,
    Figure,
    Publisher,
    Rating,
    Review,
    ReviewTask,
    Source,
    Topic,
    normalize_text,
)
from claims.roles import EDITORS, REVIEWERS

# --- Vocabulary -----------------------------------------------------------------------------

NEWS_WORDS = [
    "government",
    "minister",
    "president",
    "army",
    "police",
    "officials",
    "report",
    "attack",
    "city",
    "region",
    "border",
    "election",
    "vote",
    "parliament",
    "court",
    "ruling",
    "law",
    "company",
    "market",
    "prices",
    "inflation",
    "economy",
    "oil",
    "gas",
    "energy",
    "war",
    "ceasefire",
    "troops",
    "soldiers",
    "civilians",
    "hospital",
    "school",
    "children",
    "workers",
    "union",
    "strike",
    "protest",
    "protesters",
    "crowd",
    "rally",
    "campaign",
    "party",
    "leader",
    "opposition",
    "spokesman",
    "statement",
    "ministry",
    "health",
    "vaccine",
    "virus",
    "cases",
    "deaths",
    "outbreak",
    "climate",
    "emissions",
    "temperature",
    "flood",
    "drought",
    "storm",
    "fire",
    "earthquake",
    "refugees",
    "migrants",
    "aid",
    "sanctions",
    "exports",
    "imports",
    "budget",
    "taxes",
    "debt",
    "bank",
    "rates",
    "unemployment",
    "jobs",
    "wages",
    "pension",
    "housing",
    "rent",
    "crime",
    "prison",
    "judge",
    "lawyer",
    "investigation",
    "corruption",
    "fraud",
    "bribery",
    "scandal",
    "agreement",
    "treaty",
    "talks",
    "summit",
    "delegation",
    "embassy",
    "ambassador",
    "military",
    "drone",
    "missile",
    "strike",
    "airport",
    "railway",
    "bridge",
    "road",
    "port",
    "village",
    "district",
    "province",
    "capital",
    "residents",
    "families",
    "victims",
    "survivors",
    "hostages",
    "rebels",
    "militants",
    "fighters",
    "security",
    "intelligence",
    "agency",
    "report",
    "survey",
    "study",
    "data",
    "figures",
    "percent",
    "million",
    "billion",
    "thousand",
]
VERBS = [
    ("killed", "were killed"),
    ("injured", "were injured"),
    ("arrested", "were arrested"),
    ("displaced", "were displaced"),
    ("evacuated", "were evacuated"),
    ("detained", "were detained"),
    ("hired", "were hired"),
    ("vaccinated", "were vaccinated"),
]
SUBJECTS = ["people", "civilians", "soldiers", "workers", "children", "residents", "migrants"]
PLACES = [
    "Bamako",
    "Moscow",
    "Kyiv",
    "Kharkiv",
    "Gaza",
    "Rafah",
    "Khartoum",
    "Tripoli",
    "Kabul",
    "Aleppo",
    "Mosul",
    "Goma",
    "Niamey",
    "Ouagadougou",
    "Caracas",
    "Lagos",
    "Kinshasa",
    "Tbilisi",
    "Yerevan",
    "Minsk",
    "Belgrade",
    "Pristina",
    "Damascus",
    "Beirut",
    "Sanaa",
    "Mogadishu",
    "Juba",
    "Addis",
    "Nairobi",
    "Dhaka",
    "Karachi",
    "Manila",
    "Jakarta",
    "Lima",
    "Quito",
]
COUNTRIES = [
    "RU",
    "UA",
    "ML",
    "FR",
    "US",
    "GB",
    "DE",
    "SY",
    "IQ",
    "NG",
    "KE",
    "ET",
    "SD",
    "LY",
    "AF",
    "PK",
    "BR",
    "VE",
]
FIRST = [
    "Anna",
    "Boris",
    "Chen",
    "David",
    "Elena",
    "Fatima",
    "Gregor",
    "Hana",
    "Ivan",
    "Jamal",
    "Katya",
    "Luis",
    "Maria",
    "Nikolai",
    "Olga",
    "Pierre",
    "Qasim",
    "Rosa",
    "Sergei",
    "Tatiana",
    "Umar",
    "Vera",
    "Walid",
    "Xenia",
    "Yusuf",
    "Zainab",
]
LAST = [
    "Petrov",
    "Diallo",
    "Martin",
    "Smith",
    "Kowalski",
    "Haddad",
    "Okafor",
    "Traore",
    "Ivanova",
    "Garcia",
    "Novak",
    "Keita",
    "Morozov",
    "Dubois",
    "Rahman",
    "Sato",
    "Mensah",
    "Volkov",
    "Lopez",
    "Silva",
    "Nasser",
    "Coulibaly",
    "Orlov",
]
ORG_TEMPLATES = [
    "Ministry of Health of {c}",
    "{c} Ministry of Defence",
    "{c} authorities",
    "{c} Interior Ministry",
    "National Statistics Office of {c}",
    "{c} Electoral Commission",
]
CUES = [
    ("according to", Attribution.Kind.ACCORDING_TO),
    ("said", Attribution.Kind.SAID),
    ("claims", Attribution.Kind.CLAIMS),
    ("announced", Attribution.Kind.ANNOUNCED),
    ("wrote on X", Attribution.Kind.SAID),
]
SYLLABLES = [
    "ka",
    "ri",
    "mo",
    "ten",
    "va",
    "lo",
    "shi",
    "de",
    "nu",
    "por",
    "gan",
    "bel",
    "tri",
    "sko",
    "mar",
    "vel",
    "zo",
    "dra",
    "fin",
    "ul",
    "ek",
]

# Claims with a figure in them (about a fifth of a desk's claims carry one).
FIGURE_TEMPLATES = [
    "{actor} said {qual}{n} {subject} {passive} in {place} {when}",
    "{qual}{n} {subject} {passive} in {place} {when}, according to {actor}",
    "{actor} claims that {qual}{n} {subject} {passive} during the {w1} {w2} in {place}",
    "The {w1} in {place} left {qual}{n} {subject} {active}, {actor} announced",
    "The {w1} {w2} in {place} {neg}rose by {n} percent {when}, {actor} said",
]
OTHER_TEMPLATES = [
    "{actor} said the {w1} {w2} {neg}caused the {w3} in {place} {when}",
    "{actor} denied that the {w1} had {w2} the {w3} in {place}",
    "{actor} promised that the {w1} would {neg}end the {w2} {w3} by {year}",
    "The {w1} of the {w2} in {place} was {neg}ordered by {actor} {when}",
]
TEMPLATES = FIGURE_TEMPLATES + OTHER_TEMPLATES
FIGURE_SHARE = 0.2
ATTRIBUTED_SHARE = 0.5  # attributions on about half the appearances
SECOND_APPEARANCE_SHARE = 0.35  # claims picked up again by the next source
CLAIMS_PER_SOURCE = (4, 12)  # uniform, so about 8 claims per source
WHEN = ["on Monday", "on Tuesday", "last week", "this month", "overnight", "since January", ""]
QUALS = [("", "exact"), ("over ", "over"), ("at least ", "at_least"), ("about ", "about")]
STATUS_MIX = [  # (status, share): a desk's backlog, most claims never get a verdict.
    ("new", 0.05),
    ("triaged", 0.38),
    ("queued", 0.10),
    ("in_review", 0.02),
    ("in_approval", 0.01),
    ("published", 0.04),
    ("dismissed", 0.40),
]


class Zipf:
    """Draws from `items` with probability proportional to 1 / rank ** s."""

    def __init__(self, items: list[str], s: float, rng: random.Random) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(1.0 / (r**s) for r in range(1, len(items) + 1)))
        self.rng = rng

    def __call__(self) -> str:
        x = self.rng.random() * self.cum[-1]
        return self.items[bisect.bisect_left(self.cum, x)]


def _pseudo_words(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


# --- Row writers ----------------------------------------------------------------------------


class Table:
    """Rows for one model, keyed by attname, with the model's defaults filled in."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.rows: list[tuple[Any, ...]] = []
        self.next_id = (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self.count = 0

    def new_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, **values: Any) -> None:
        row = []
        for f in self.fields:
            value = values.get(f.attname, self.defaults[f.attname])
            if isinstance(f, models.JSONField) and connection.vendor == "postgresql":
                value = None if value is None else json.dumps(value)
            row.append(value)
        self.rows.append(tuple(row))
        self.count += 1

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {self.model._meta.db_table} ({cols}) FROM STDIN") as copy,
            ):
                for row in self.rows:
                    copy.write_row(row)
        else:
            names = [f.attname for f in self.fields]
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(names, row, strict=True))) for row in self.rows],
                batch_size=500,
            )
        self.rows.clear()


@dataclass
class World:
    publishers: list[tuple[int, str]] = field(default_factory=list)
    actors: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, alias
    topics: list[int] = field(default_factory=list)
    reviewers: list[int] = field(default_factory=list)
    editors: list[int] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)


class Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.started, self.last = total, enabled, time.monotonic(), 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.5 and done < self.total):
            return
        self.last = now
        width = 30
        filled = int(width * done / max(self.total, 1))
        rate = done / max(now - self.started, 1e-6)
        eta = (self.total - done) / rate if rate else 0
        sys.stderr.write(
            f"\r  claims [{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} "
            f"{rate:,.0f}/s eta {eta:,.0f}s "
        )
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


class Command(BaseCommand):
    help = "Generate a realistic synthetic corpus of claims (COPY on PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=20_000, help="claims per COPY batch")
        parser.add_argument(
            "--start", default="2024-01-01", help="first day claims are seen (YYYY-MM-DD)"
        )
        parser.add_argument("--days", type=int, default=730, help="span of first_seen_at")

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["claims"]
        if n < 1:
            raise CommandError("--claims must be at least 1.")
        self.rng = random.Random(options["seed"])
        self.start = datetime.fromisoformat(options["start"]).replace(tzinfo=UTC)
        self.span = timedelta(days=options["days"])
        started = time.monotonic()
        postgres = connection.vendor == "postgresql"
        rebuild = postgres and n >= 50_000
        with transaction.atomic():
            if postgres:
                # The deferred foreign-key checks of a million rows run as one statement at
                # the end; the web's statement timeout (DB_STATEMENT_TIMEOUT_MS) is not for
                # a bulk load.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = 0")
            world = self._world(n)
            if rebuild:
                self._drop_search_indexes()
            counts = self._claims(n, world, options["batch"], options["verbosity"] >= 1)
            if rebuild:
                self._create_search_indexes()
            self._reset_sequences()
        if postgres:
            with connection.cursor() as cursor:
                # Every table loaded: a planner that still believes the through table of
                # topics is empty picks parallel hash joins (and JIT) for a 50-row prefetch.
                for model in (*LOADED, Claim.topics.through):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
            matching.reset_statistics()
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        self.stdout.write(f"Generated {summary} in {elapsed:.1f} s ({n / elapsed:,.0f} claims/s).")

    # --- The cast: publishers, actors, topics, reviewers ----------------------------------

    def _world(self, n: int) -> World:
        rng, world, now = self.rng, World(), datetime.now(UTC)
        publishers = Table(Publisher)
        for _ in range(max(20, min(n // 500, 2000))):
            pk = publishers.new_id()
            name = f"{rng.choice(['The', 'Daily', 'Global', 'Evening', 'Free'])} " + (
                f"{rng.choice(PLACES)} {rng.choice(['Times', 'Post', 'Herald', 'News', 'Voice'])}"
            )
            domain = f"{name.lower().replace(' ', '')}-{pk}.example"
            kind = rng.choices(["outlet", "agency", "government", "social"], [70, 10, 10, 10])[0]
            publishers.add(
                id=pk,
                name=name,
                domain=domain,
                kind=kind,
                country=rng.choice(COUNTRIES),
                state_affiliated=rng.random() < 0.15,
                created_at=now,
                updated_at=now,
            )
            world.publishers.append((pk, domain))
        publishers.flush()

        actors, aliases = Table(Actor), Table(ActorAlias)
        taken = set(ActorAlias.objects.values_list("normalized", flat=True))
        for i in range(max(50, min(n // 200, 5000))):
            pk = actors.new_id()
            if rng.random() < 0.7:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name, kind = f"{first} {last}", "person"
                spellings = [name, f"{first[0]}. {last}", last]
            else:
                name = rng.choice(ORG_TEMPLATES).format(c=rng.choice(PLACES))
                kind = rng.choice(["government", "organisation", "collective"])
                spellings = [name]
            # Several actors can share a name; the alias that identifies them cannot.
            spellings = [s if i < 200 else f"{s} ({i})" for s in spellings]
            actors.add(id=pk, name=spellings[0], kind=kind, created_at=now, updated_at=now)
            for spelling in spellings:
                normalized = normalize_text(spelling)
                if normalized not in taken:
                    taken.add(normalized)
                    aliases.add(
                        id=aliases.new_id(), actor_id=pk, alias=spelling, normalized=normalized
                    )
            world.actors.append((pk, spellings[0], spellings[-1]))
        actors.flush()
        aliases.flush()

        topics = Table(Topic)
        for _ in range(max(10, min(n // 2000, 500))):
            pk = topics.new_id()
            name = f"{rng.choice(NEWS_WORDS).title()} in {rng.choice(PLACES)}"
            topics.add(id=pk, name=name, slug=f"corpus-{pk}", created_at=now, updated_at=now)
            world.topics.append(pk)
        topics.flush()

        user_model = get_user_model()
        for prefix, group_name, bucket in (
            ("corpus-reviewer", REVIEWERS, world.reviewers),
            ("corpus-editor", EDITORS, world.editors),
        ):
            group = Group.objects.filter(name=group_name).first()
            for i in range(8 if group_name == REVIEWERS else 3):
                user, created = user_model.objects.get_or_create(
                    username=f"{prefix}-{i}", defaults={"is_staff": True}
                )
                if created and group:
                    user.groups.add(group)
                bucket.append(user.pk)
        world.ratings = list(
            Rating.objects.filter(value__isnull=False).values_list("pk", flat=True)
        )
        if not world.ratings:
            raise CommandError("There is no rating scale: run migrate (claims 0002 seeds it).")
        return world

    # --- Claims and everything that hangs off them -----------------------------------------

    def _text(self, vocab: Zipf, actor: str) -> tuple[str, str, list[tuple[str, float, str]]]:
        """(text, kind, figures as (metric, value, qualifier))."""
        rng = self.rng
        template = rng.choice(FIGURE_TEMPLATES if rng.random() < FIGURE_SHARE else OTHER_TEMPLATES)
        active, passive = rng.choice(VERBS)
        qual_text, qualifier = rng.choice(QUALS)
        value = int(rng.paretovariate(1.2) * 10)
        values = {
            "actor": actor,
            "qual": qual_text,
            "n": f"{value:,}",
            "subject": rng.choice(SUBJECTS),
            "passive": passive,
            "active": active,
            "place": rng.choice(PLACES),
            "when": rng.choice(WHEN),
            "w1": vocab(),
            "w2": vocab(),
            "w3": vocab(),
            "neg": "not " if rng.random() < 0.1 else "",
            "year": rng.randint(2025, 2035),
        }
        text = template.format(**values).replace(" ,", ",").strip()
        text = text[0].upper() + text[1:] + "."
        if "{n}" in template:
            metric = active if "{subject}" in template else "percent"
            return text, "figure", [(metric, float(value), qualifier)]
        return text, rng.choice(["event", "quote", "causal", "prediction"]), []

    def _variant(self, text: str) -> str:
        """An earlier claim told again: reworded, or with a changed or negated figure."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:  # reworded
            swaps = [("said", "stated"), ("killed", "left dead"), ("people", "persons")]
            for old, new in swaps:
                text = text.replace(old, new)
            return f"Reports say {text[0].lower()}{text[1:]}"
        if roll < 0.85:  # the figure changed, as tolls do
            digits = [tok for tok in text.split() if tok.replace(",", "").isdigit()]
            if digits:
                old = digits[0]
                new = f"{int(old.replace(',', '')) + rng.randint(1, 40):,}"
                return text.replace(old, new, 1)
            return text.replace(" the ", " this ", 1)
        return text.replace(" said ", " said it is not true that ", 1)

    def _claims(self, n: int, world: World, batch: int, show: bool) -> dict[str, int]:
        rng = self.rng
        vocab = Zipf(NEWS_WORDS + _pseudo_words(rng, 20_000), 1.05, rng)
        actor_pick = Zipf([str(i) for i in range(len(world.actors))], 0.9, rng)
        t = {
            name: Table(model)
            for name, model in (
                ("sources", Source),
                ("claims", Claim),
                ("topics", Claim.topics.through),
                ("appearances", Appearance),
                ("attributions", Attribution),
                ("figures", Figure),
                ("reviews", Review),
                ("tasks", ReviewTask),
                ("links", ClaimLink),
            )
        }
        recent: list[tuple[int, str, datetime]] = []  # earlier claims a new one may repeat
        statuses = [s for s, _ in STATUS_MIX]
        weights = [w for _, w in STATUS_MIX]
        progress = Progress(n, show)
        now = datetime.now(UTC)
        source_sentences: list[tuple[int, str]] = []
        source_length = 0  # characters of the source text so far (the next sentence's offset)
        source_claims = 0  # new claims in the open source
        source_size = 0
        # Claims the next source repeats: (claim id, text, actor id, alias, figures).
        carried: list[tuple[int, str, int, str, list[tuple[str, float, str]]]] = []
        source_id = 0
        source_meta: tuple[int, int, str, datetime] = (0, 0, "", now)

        def add_sentence(
            claim_id: int,
            text: str,
            actor_id: int,
            alias: str,
            figures: list[tuple[str, float, str]],
        ) -> None:
            nonlocal source_length
            source_sentences.append((claim_id, text))
            self._appearance(
                t, claim_id, source_id, text, source_length, actor_id, alias, figures, now
            )
            source_length += len(text) + 1

        def close_source() -> None:
            nonlocal source_length, source_claims
            source_length = source_claims = 0
            if not source_sentences:
                return
            pk, publisher_id, domain, published = source_meta
            text = " ".join(s for _, s in source_sentences) + f" (ref {pk})"
            t["sources"].add(
                id=pk,
                url=f"https://{domain}/{published:%Y/%m}/story-{pk}",
                title=source_sentences[0][1][:120],
                publisher_id=publisher_id,
                kind=rng.choices(["article", "statement", "social_post"], [80, 10, 10])[0],
                published_at=published,
                text=text,
                content_hash=hashlib.sha256(normalize_text(text).encode()).hexdigest(),
                status="done",
                status_changed_at=published,
                created_at=published,
                updated_at=published,
            )
            source_sentences.clear()

        for i in range(n):
            # 1. A source every few claims; its text is the sentences of its claims, led by
            #    the claims of the previous source it picks up again.
            if not source_sentences or source_claims >= source_size:
                close_source()
                source_id = t["sources"].new_id()
                source_size = rng.randint(*CLAIMS_PER_SOURCE)
                pub_id, domain = rng.choice(world.publishers)
                seen = self.start + self.span * (i / n) + timedelta(minutes=rng.randint(0, 600))
                source_meta = (source_id, pub_id, domain, seen)
                for again in carried:
                    add_sentence(*again)
                carried.clear()
            source_claims += 1
            published = source_meta[3]
            # 2. The claim: new, or an earlier one told again.
            actor_index = int(actor_pick())
            actor_id, actor_name, alias = world.actors[actor_index]
            figures: list[tuple[str, float, str]] = []
            duplicate_of = None
            earlier_seen = None
            if recent and rng.random() < 0.12:
                earlier_id, earlier_text, earlier_seen = rng.choice(recent)
                text = self._variant(earlier_text)
                kind = "other"
                if rng.random() < 0.4:
                    duplicate_of = earlier_id
            else:
                text, kind, figures = self._text(vocab, rng.choice([actor_name, alias]))
            claim_id = t["claims"].new_id()
            status = "duplicate" if duplicate_of else rng.choices(statuses, weights)[0]
            first_seen = published + timedelta(minutes=rng.randint(0, 90))
            if earlier_seen is not None:  # a repeat is never seen before what it repeats
                first_seen = max(first_seen, earlier_seen + timedelta(minutes=1))
            t["claims"].add(
                id=claim_id,
                text=text,
                text_hash=hashlib.sha256(normalize_text(text).encode()).hexdigest(),
                kind=kind,
                status=status,
                status_reason="Opinion, not checkable" if status == "dismissed" else "",
                checkworthiness=round(rng.betavariate(2, 2), 3),
                checkworthiness_reasons=[],
                priority=round(rng.random() * 10, 2),
                first_seen_at=first_seen,
                duplicate_of_id=duplicate_of,
                created_at=first_seen,
                updated_at=first_seen,
            )
            if duplicate_of:
                t["links"].add(
                    id=t["links"].new_id(),
                    from_claim_id=claim_id,
                    to_claim_id=duplicate_of,
                    kind="duplicate",
                    status="confirmed",
                    score=round(rng.uniform(0.9, 1.0), 3),
                    reason={"generated": True},
                    created_by_job="generate_corpus",
                    created_at=first_seen,
                )
            if len(recent) < 5000:
                recent.append((claim_id, text, first_seen))
            elif rng.random() < 0.05:
                recent[rng.randrange(len(recent))] = (claim_id, text, first_seen)
            if world.topics and rng.random() < 0.6:
                t["topics"].add(
                    id=t["topics"].new_id(), claim_id=claim_id, topic_id=rng.choice(world.topics)
                )
            # 3. Where it appears (sometimes in the next source too) and who said it.
            add_sentence(claim_id, text, actor_id, alias, figures)
            if rng.random() < SECOND_APPEARANCE_SHARE:
                carried.append((claim_id, text, actor_id, alias, figures))
            # 4. Review work, by status.
            self._review_work(t, world, claim_id, status, first_seen)
            if (i + 1) % batch == 0:
                close_source()
                for table in t.values():
                    table.flush()
            progress.update(i + 1)
        close_source()
        for table in t.values():
            table.flush()
        progress.update(n)
        return {name: table.count for name, table in t.items()}

    def _appearance(
        self,
        t: dict[str, Table],
        claim_id: int,
        source_id: int,
        text: str,
        start: int,
        actor_id: int,
        alias: str,
        figures: list[tuple[str, float, str]],
        now: datetime,
    ) -> None:
        rng = self.rng
        appearance_id = t["appearances"].new_id()
        t["appearances"].add(
            id=appearance_id,
            claim_id=claim_id,
            source_id=source_id,
            sentence=text,
            start=start,
            end=start + len(text),
            extractor_version="corpus",
            created_at=now,
            updated_at=now,
        )
        if rng.random() < ATTRIBUTED_SHARE:
            cue, kind = rng.choice(CUES)
            anonymous = rng.random() < 0.08
            at = text.find(alias)
            t["attributions"].add(
                id=t["attributions"].new_id(),
                appearance_id=appearance_id,
                actor_id=None if anonymous else actor_id,
                source_text="officials" if anonymous else alias,
                cue=cue,
                kind="anonymous" if anonymous else kind,
                channel=rng.choice(["", "", "statement", "X", "Telegram"]),
                source_start=start + at if at >= 0 else None,
                source_end=start + at + len(alias) if at >= 0 else None,
                extractor_version="corpus",
                created_at=now,
                updated_at=now,
            )
        for metric, value, qualifier in figures:
            shown = f"{int(value):,}"
            at = max(text.find(shown), 0)
            t["figures"].add(
                id=t["figures"].new_id(),
                appearance_id=appearance_id,
                metric=metric,
                value=value,
                lower=value if qualifier in ("over", "at_least") else None,
                qualifier=qualifier,
                start=start + at,
                end=start + at + len(shown),
                text=shown,
                extractor_version="corpus",
                created_at=now,
                updated_at=now,
            )

    def _review_work(
        self, t: dict[str, Table], world: World, claim_id: int, status: str, seen: datetime
    ) -> None:
        rng = self.rng
        due = seen + timedelta(hours=48)
        if status == "queued":
            t["tasks"].add(id=t["tasks"].new_id(), claim_id=claim_id, due_at=due, **_ts(seen))
            return
        if status not in {"in_review", "in_approval", "published"}:
            return
        reviewer = rng.choice(world.reviewers)
        editor = rng.choice(world.editors)
        rating = rng.choice(world.ratings)
        review_id = t["reviews"].new_id()
        review_status = {"in_review": "draft", "in_approval": "submitted"}.get(status, "published")
        done_at = seen + timedelta(hours=rng.randint(2, 72))
        t["reviews"].add(
            id=review_id,
            claim_id=claim_id,
            reviewer_id=reviewer,
            rating_id=rating if review_status != "draft" else None,
            explanation="Checked against the official record.",
            status=review_status,
            approver_id=editor if review_status == "published" else None,
            submitted_at=done_at if review_status != "draft" else None,
            approved_at=done_at if review_status == "published" else None,
            published_at=done_at if review_status == "published" else None,
            # What publishing stores (claims.claimreview), abridged: the feed lists it.
            claimreview={
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "datePublished": done_at.isoformat(),
                "reviewRating": {"@type": "Rating", "ratingValue": rating},
            }
            if review_status == "published"
            else None,
            **_ts(seen),
        )
        t["tasks"].add(
            id=t["tasks"].new_id(),
            claim_id=claim_id,
            review_id=review_id,
            state="assigned" if status == "in_review" else "done",
            assignee_id=reviewer,
            assigned_at=seen,
            lease_expires_at=seen + timedelta(hours=4) if status == "in_review" else None,
            completed_at=None if status == "in_review" else done_at,
            due_at=due,
            **_ts(seen),
        )
        if status in {"in_approval", "published"}:
            t["tasks"].add(
                id=t["tasks"].new_id(),
                claim_id=claim_id,
                review_id=review_id,
                kind="approval",
                state="queued" if status == "in_approval" else "done",
                assignee_id=editor if status == "published" else None,
                completed_at=done_at if status == "published" else None,
                due_at=due,
                **_ts(seen),
            )

    # --- Index and sequence housekeeping ---------------------------------------------------

    def _drop_search_indexes(self) -> None:
        with connection.cursor() as cursor:
            for name, _sql in matching.SEARCH_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")

    def _create_search_indexes(self) -> None:
        sys.stderr.write("  rebuilding the claim search indexes...\n")
        with connection.cursor() as cursor:
            # Foreign keys are checked at commit (deferred); CREATE INDEX refuses to run with
            # those checks pending, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for _name, sql in matching.SEARCH_INDEXES:
                cursor.execute(sql)

    def _reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), [*LOADED, Claim.topics.through])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# The models whose tables generate_corpus writes (with Claim.topics.through).
LOADED: list[type[models.Model]] = [
    Publisher,
    Actor,
    ActorAlias,
    Topic,
    Source,
    Claim,
    Appearance,
    Attribution,
    Figure,
    Review,
    ReviewTask,
    ClaimLink,
]


def _ts(at: datetime) -> dict[str, datetime]:
    return {"created_at": at, "updated_at": at}
