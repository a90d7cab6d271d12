from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from factcheck import health

admin.site.site_header = "factcheck"
admin.site.site_title = "factcheck"
admin.site.index_title = "Fact-checking desk"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
]
