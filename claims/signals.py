"""Domain events other parts subscribe to (webhooks, search indexing).

Sent only after the transaction that caused them has committed, with ids, never objects,
so a receiver that enqueues a Celery task hands over something a worker can reload.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: review_id
review_published = Signal()
# kwargs: source_id
source_processed = Signal()
