from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Registers the OpenAPI descriptions of the authentication classes.
        from api import delivery, schema  # noqa: F401
        from claims import signals

        # Webhooks follow domain events; the signals fire after the transaction commits.
        signals.review_published.connect(delivery.on_review_published, dispatch_uid="webhooks")
        signals.source_processed.connect(delivery.on_source_processed, dispatch_uid="webhooks")
