from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from api import factchecktools, views

# Trailing slash optional: `/api/v1/claims/7/claimreview` and `.../claimreview/` both work.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("sources", views.SourceViewSet, basename="source")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("claimreviews", views.ClaimReviewFeedViewSet, basename="claimreview")
router.register("appearances", views.AppearanceViewSet, basename="appearance")
router.register("attributions", views.AttributionViewSet, basename="attribution")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("publishers", views.PublisherViewSet, basename="publisher")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("ratings", views.RatingViewSet, basename="rating")
router.register("figures", views.FigureViewSet, basename="figure")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("queue", views.QueueViewSet, basename="task")
router.register("webhooks", views.WebhookViewSet, basename="webhook")

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from a URL instead of inline, so
    # the docs work under the Content-Security-Policy (script-src 'self').
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path(
        "factchecktools/v1alpha1/claims:search",
        factchecktools.ClaimSearchView.as_view(),
        name="factchecktools-claims-search",
    ),
]

if settings.FACTCHECK_BENCH_FLOOR:  # benchmarks only: see api/bench_floor.py
    from api import bench_floor

    urlpatterns += bench_floor.urlpatterns
