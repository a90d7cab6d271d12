"""`GET /factchecktools/v1alpha1/claims:search`, answering like Google's Fact Check Tools API.

The request parameters and the response follow the discovery document shipped in
google-api-python-client (googleapiclient/discovery_cache/documents/
factchecktools.v1alpha1.json), so an existing client works by changing its endpoint.
As there, the API key may be sent as the `key` query parameter. Empty fields are left
out of the answer, as Google's proto3 JSON does.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import QueryKeyAuthentication
from api.permissions import HasRole
from claims.models import Claim, Review
from claims.selectors import claim_search, published_reviews

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10_000


class SearchParams(serializers.Serializer[Any]):
    query = serializers.CharField(required=False, max_length=500, allow_blank=True)
    languageCode = serializers.CharField(required=False, max_length=35, allow_blank=True)
    reviewPublisherSiteFilter = serializers.CharField(
        required=False, max_length=253, allow_blank=True
    )
    maxAgeDays = serializers.IntegerField(required=False, min_value=1, max_value=36_500)
    pageSize = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)
    pageToken = serializers.CharField(required=False, max_length=100, allow_blank=True)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (
            not attrs.get("query", "").strip()
            and not attrs.get("reviewPublisherSiteFilter", "").strip()
        ):
            raise serializers.ValidationError(
                {"query": ["Required unless reviewPublisherSiteFilter is given."]}
            )
        token = attrs.get("pageToken", "")
        if token:
            attrs["start"] = decode_token(token)
        else:
            attrs["start"] = attrs.get("offset", 0)
        return attrs


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = raw.partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise serializers.ValidationError({"pageToken": ["Invalid page token."]}) from None
    if prefix != "o" or not 0 <= offset <= MAX_OFFSET:
        raise serializers.ValidationError({"pageToken": ["Invalid page token."]})
    return offset


def _site(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. "[]" from a client's site filter: no site at all
        return ""
    return host.lower().removeprefix("www.")


def _google_datetime(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # an ISO date from the ClaimReview JSON-LD
        return f"{value[:10]}T00:00:00Z" if len(value) >= 10 else None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def claim_entry(review: Review) -> dict[str, Any]:
    document = review.claimreview or {}
    item = document.get("itemReviewed") or {}
    author = item.get("author") or {}
    claim = review.claim
    organisation_url = settings.FACTCHECK_ORGANISATION_URL
    title = f"Fact check: {claim.text}"
    claim_review = _drop_empty(
        {
            "publisher": _drop_empty(
                {"name": settings.FACTCHECK_ORGANISATION_NAME, "site": _site(organisation_url)}
            ),
            "url": document.get("url"),
            "title": title[:300],
            "reviewDate": _google_datetime(review.published_at),
            "textualRating": review.rating.label if review.rating else None,
            "languageCode": claim.language,
        }
    )
    return _drop_empty(
        {
            "text": claim.text,
            "claimant": author.get("name"),
            "claimDate": _google_datetime(item.get("datePublished")),
            "claimReview": [claim_review],
        }
    )


def search(params: dict[str, Any]) -> QuerySet[Review]:
    reviews = published_reviews().select_related("claim", "rating")
    site_filter = params.get("reviewPublisherSiteFilter", "").strip().lower()
    if site_filter and _site(
        f"https://{site_filter.removeprefix('https://').removeprefix('http://')}"
    ) != _site(settings.FACTCHECK_ORGANISATION_URL):
        return reviews.none()  # every review here is published by this organisation
    query = params.get("query", "").strip()
    if query:
        reviews = reviews.filter(claim__in=claim_search(Claim.objects.all(), query).values("pk"))
    language = params.get("languageCode", "").strip()
    if language:
        primary = language.split("-")[0]
        reviews = reviews.filter(
            Q(claim__language__iexact=primary) | Q(claim__language__istartswith=f"{primary}-")
        )
    if params.get("maxAgeDays"):
        cutoff = timezone.now() - timedelta(days=params["maxAgeDays"])
        reviews = reviews.filter(Q(published_at__gte=cutoff) | Q(claim__first_seen_at__gte=cutoff))
    return reviews.order_by("-published_at", "-pk")


class PublisherOut(serializers.Serializer[Any]):
    name = serializers.CharField(required=False)
    site = serializers.CharField(required=False)


class ClaimReviewOut(serializers.Serializer[Any]):
    publisher = PublisherOut(required=False)
    url = serializers.CharField(required=False)
    title = serializers.CharField(required=False)
    reviewDate = serializers.CharField(required=False)
    textualRating = serializers.CharField(required=False)
    languageCode = serializers.CharField(required=False)


class ClaimOut(serializers.Serializer[Any]):
    text = serializers.CharField(required=False)
    claimant = serializers.CharField(required=False)
    claimDate = serializers.CharField(required=False)
    claimReview = ClaimReviewOut(many=True, required=False)


class SearchResponseOut(serializers.Serializer[Any]):
    claims = ClaimOut(many=True, required=False)
    nextPageToken = serializers.CharField(required=False)


class ClaimSearchView(APIView):
    authentication_classes = [QueryKeyAuthentication]
    permission_classes = [HasRole]

    @extend_schema(
        operation_id="factchecktools_claims_search",
        summary="Search published fact checks (Google Fact Check Tools compatible)",
        parameters=[
            SearchParams,
            OpenApiParameter("key", OpenApiTypes.STR, description="API key (or send a header)"),
        ],
        responses=SearchResponseOut,
        tags=["factchecktools"],
    )
    def get(self, request: Request) -> Response:
        params_in = SearchParams(data=request.query_params)
        params_in.is_valid(raise_exception=True)
        params = params_in.validated_data
        start = params["start"]
        size = params.get("pageSize") or DEFAULT_PAGE_SIZE
        page = list(search(params)[start : start + size + 1])
        body: dict[str, Any] = {"claims": [claim_entry(review) for review in page[:size]]}
        if len(page) > size and start + size <= MAX_OFFSET:
            body["nextPageToken"] = encode_token(start + size)
        return Response(_drop_empty(body) or {})
