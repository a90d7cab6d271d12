"""Load the seed article(s) and demo accounts. Idempotent: run it twice, get the same data.

Sources go through claims.sources.source_submit, the same path as POST /api/v1/sources/.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from api.models import ApiKey, hash_key
from claims.models import Claim, Publisher, Source, Topic, content_hash
from claims.roles import CLIENTS, EDITORS, REVIEWERS
from claims.sources import source_submit

SEEDS_DIR = Path(settings.BASE_DIR) / "seeds"
DEMO_USERS = [("reviewer", REVIEWERS), ("editor", EDITORS), ("editor2", EDITORS)]
DEMO_CLIENT = "demo-client"


class Command(BaseCommand):
    help = "Load the seed articles and create demo users (reviewer, editor) and a demo API client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(SEEDS_DIR), help="Folder with *.json seed files")
        parser.add_argument("--no-users", action="store_true", help="Only load the articles")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["dir"])
        manifests = sorted(folder.glob("*.json"))
        if not manifests:
            raise CommandError(f"No seed manifests (*.json) in {folder}.")
        # Users first, so the seed's claims are assigned to the demo reviewer as they queue.
        if not options["no_users"]:
            self._demo_users()
        for manifest in manifests:
            self._load_article(manifest)

    def _load_article(self, manifest: Path) -> None:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        text = (manifest.parent / meta["text_file"]).read_text(encoding="utf-8")
        pub = meta.get("publisher") or {}
        publisher = None
        if pub:
            publisher, _ = Publisher.objects.update_or_create(
                domain=pub["domain"],
                defaults={k: v for k, v in pub.items() if k != "domain"},
            )
        source = Source.objects.filter(content_hash=content_hash(text)).first()
        if source is None:
            source = source_submit(
                text=text,
                url=meta.get("url", ""),
                title=meta.get("title", ""),
                kind=meta.get("kind", Source.Kind.ARTICLE),
                language=meta.get("language", "en"),
                published_at=(
                    datetime.fromisoformat(meta["published_at"])
                    if meta.get("published_at")
                    else None
                ),
                publisher=publisher,
            )
            verb = "loaded"
        else:
            verb = "already there"
        source.refresh_from_db()
        self._link_topics(source, meta.get("topics", []))
        claims = Claim.objects.filter(appearances__source=source).distinct().count()
        self.stdout.write(
            f"Seed {manifest.stem}: source {source.pk} {verb} "
            f"(status {source.status}, {claims} claims)."
        )

    def _link_topics(self, source: Source, topics: list[dict[str, Any]]) -> None:
        for spec in topics:
            topic, _ = Topic.objects.get_or_create(
                slug=spec["slug"], defaults={"name": spec["name"]}
            )
            for claim in Claim.objects.filter(appearances__source=source).distinct():
                if any(word.lower() in claim.text.lower() for word in spec.get("match", [])):
                    claim.topics.add(topic)

    @transaction.atomic
    def _demo_users(self) -> None:
        User = get_user_model()
        password = os.environ.get("FACTCHECK_DEMO_PASSWORD") or (
            "factcheck-demo" if settings.DEBUG else None
        )
        for username, group in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "email": f"{username}@example.org"}
            )
            user.groups.add(Group.objects.get(name=group))
            if created or os.environ.get("FACTCHECK_DEMO_PASSWORD"):
                chosen = password or secrets.token_urlsafe(12)
                user.set_password(chosen)
                user.save()
                self.stdout.write(f"User {username} ({group}): password {chosen}")
            else:
                self.stdout.write(
                    f"User {username} ({group}) exists; password unchanged "
                    "(set FACTCHECK_DEMO_PASSWORD to reset it)."
                )
        client, _ = User.objects.get_or_create(username=DEMO_CLIENT)
        client.groups.add(Group.objects.get(name=CLIENTS))
        raw = os.environ.get("FACTCHECK_DEMO_API_KEY")
        if raw:
            if not ApiKey.objects.filter(hashed_key=hash_key(raw)).exists():
                ApiKey.objects.create(
                    user=client, name="demo", prefix=raw[:8], hashed_key=hash_key(raw)
                )
            self.stdout.write(f"API client {DEMO_CLIENT}: key from FACTCHECK_DEMO_API_KEY.")
        elif not client.api_keys.active().exists():
            _key, raw = ApiKey.generate(user=client, name="demo")
            self.stdout.write(f"API client {DEMO_CLIENT}: key {raw} (shown once)")
        else:
            self.stdout.write(
                f"API client {DEMO_CLIENT} has a key; make a new one with "
                f"`manage.py create_api_key {DEMO_CLIENT}`."
            )
