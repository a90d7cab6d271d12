"""schema.org ClaimReview for a published verdict.

Follows the structure Google's Fact Check markup documents: claimReviewed, reviewRating
(ratingValue / bestRating / worstRating / alternateName), author, datePublished, url and
itemReviewed (a Claim with its author, first appearance and other appearances).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from claims.models import Attribution, Review


def claim_url(claim_id: int) -> str:
    return f"{settings.FACTCHECK_ORGANISATION_URL.rstrip('/')}/claims/{claim_id}"


def _claimant(review: Review) -> dict[str, Any] | None:
    attribution = (
        Attribution.objects.filter(appearance__claim=review.claim)
        .exclude(kind__in=[Attribution.Kind.ANONYMOUS, Attribution.Kind.UNATTRIBUTED])
        .select_related("actor")
        .order_by("appearance__source__published_at", "appearance__created_at", "pk")
        .first()
    )
    if attribution is None:
        return None
    name = attribution.actor.name if attribution.actor else attribution.source_text
    if not name:
        return None
    kind = "Person" if attribution.actor and attribution.actor.kind == "person" else "Organization"
    return {"@type": kind, "name": name}


def render_claimreview(review: Review) -> dict[str, Any]:
    claim = review.claim
    rating = review.rating
    appearances = list(
        claim.appearances.select_related("source", "source__publisher").order_by(
            "source__published_at", "created_at"
        )
    )
    item: dict[str, Any] = {"@type": "Claim"}
    claimant = _claimant(review)
    if claimant:
        item["author"] = claimant
    if appearances:
        first = appearances[0].source
        item["datePublished"] = (first.published_at or claim.first_seen_at).date().isoformat()
        docs = [
            {"@type": "CreativeWork", "url": a.source.url}
            | (
                {"author": {"@type": "Organization", "name": a.source.publisher.name}}
                if a.source.publisher
                else {}
            )
            for a in appearances
            if a.source.url
        ]
        if docs:
            item["firstAppearance"] = docs[0]
            item["appearance"] = docs
    else:
        item["datePublished"] = claim.first_seen_at.date().isoformat()

    review_rating: dict[str, Any] = {"@type": "Rating"}
    if rating is not None:
        review_rating["alternateName"] = rating.label
        if rating.value is not None:
            review_rating.update(
                ratingValue=rating.value, bestRating=rating.best, worstRating=rating.worst
            )
    published = review.published_at or review.approved_at
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": claim_url(claim.pk),
        "claimReviewed": claim.text,
        "author": {
            "@type": "Organization",
            "name": settings.FACTCHECK_ORGANISATION_NAME,
            "url": settings.FACTCHECK_ORGANISATION_URL,
        },
        "datePublished": published.date().isoformat() if published else None,
        "reviewRating": review_rating,
        "reviewBody": review.explanation,
        "inLanguage": claim.language,
        "itemReviewed": item,
    }
