"""Submitting sources and running them through the pipeline (fetch → extract → triage).

`source_submit` is the single entry point for the API, the admin, load_seeds and
commands: it stores the Source and enqueues processing once the transaction commits, so
a worker never looks for a row that is not there yet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from claims.errors import ApplicationError
from claims.models import Publisher, Source, content_hash, normalize_url


class DuplicateSource(ApplicationError):
    code = "duplicate_source"
    status_code = 409

    def __init__(self, message: str, *, existing: Source) -> None:
        super().__init__(message, details={"existing_id": existing.pk})
        self.existing = existing


def _html_to_text(html: str) -> tuple[str, dict[str, Any]]:
    """Clean article HTML to text and metadata with trafilatura."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
    meta: dict[str, Any] = {}
    document = trafilatura.extract_metadata(html)
    if document is not None:
        meta = {
            "title": document.title or "",
            "author": document.author or "",
            "date": document.date or "",
            "sitename": document.sitename or "",
        }
    return text, meta


def find_existing(*, url: str = "", text: str = "") -> Source | None:
    if url:
        found = Source.objects.filter(url=normalize_url(url)).first()
        if found:
            return found
    if text:
        return Source.objects.filter(content_hash=content_hash(text)).first()
    return None


@transaction.atomic
def source_submit(
    *,
    url: str = "",
    text: str = "",
    html: str = "",
    title: str = "",
    kind: str = Source.Kind.ARTICLE,
    language: str = "en",
    author: str = "",
    published_at: datetime | None = None,
    publisher: Publisher | None = None,
    by: Any = None,
    process: bool = True,
) -> Source:
    """Store a submitted article (text, HTML or URL) and enqueue its processing.

    The same URL or the same text submitted again raises DuplicateSource naming the
    existing source, instead of creating a second copy.
    """
    if html and not text:
        text, meta = _html_to_text(html)
        title = title or meta.get("title", "")
        author = author or meta.get("author", "")
        if not published_at and meta.get("date"):
            try:
                published_at = datetime.fromisoformat(meta["date"]).replace(tzinfo=UTC)
            except ValueError:
                published_at = None
        if not text.strip():
            raise ApplicationError(
                "No article text could be found in that HTML.", details={"html": ["no text"]}
            )
    if not url.strip() and not text.strip():
        raise ApplicationError(
            "Give the article's text, its HTML or its URL.",
            details={"text": ["give text, html or url"]},
        )
    existing = find_existing(url=url, text=text)
    if existing is not None:
        raise DuplicateSource(
            f"This article was already submitted as source {existing.pk}.", existing=existing
        )
    if publisher is None and url:
        publisher = publisher_for_url(url)
    source = Source(
        url=url,
        text=text,
        title=title[:500],
        kind=kind,
        language=language,
        author=author[:300],
        published_at=published_at,
        publisher=publisher,
        submitted_by=by if getattr(by, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            source.save()
    except IntegrityError as exc:  # a concurrent submission of the same article won the race
        existing = find_existing(url=url, text=text)
        if existing is None:
            raise
        raise DuplicateSource(
            f"This article was already submitted as source {existing.pk}.", existing=existing
        ) from exc
    if process:
        from claims import tasks

        # After commit, so a worker never looks for a row that is not there yet; if the
        # process dies before this runs, the sweep (claims.sweep_stuck) enqueues it.
        transaction.on_commit(lambda: tasks.enqueue_source(source.pk), robust=True)
    return source


def publisher_for_url(url: str) -> Publisher | None:
    from urllib.parse import urlsplit

    host = (urlsplit(normalize_url(url)).hostname or "").removeprefix("www.")
    if not host:
        return None
    publisher, _ = Publisher.objects.get_or_create(domain=host, defaults={"name": host})
    return publisher


def source_set_status(*, source: Source, status: str, error: str = "") -> None:
    Source.objects.filter(pk=source.pk).update(
        status=status, error=error[:5000], status_changed_at=timezone.now()
    )
    source.status, source.error = status, error[:5000]
