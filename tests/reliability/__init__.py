"""Faults and load: what the service promises under them, each a test (issue #9).

FAULTS names every fault injected and the test that injects it; the worker killed
mid-task is tested once, in tests/integration, and only referenced here.
"""

from __future__ import annotations

FAULTS = {
    "PostgreSQL restarted during a write load (clean and crash stops)": (
        "tests.reliability.test_database_restart",
        "test_postgres_restarted_under_write_load_answers_503_loses_nothing_and_recovers",
    ),
    "Redis stopped while sources are submitted, restarted empty": (
        "tests.reliability.test_redis_outage",
        "test_sources_submitted_while_redis_is_down_are_kept_and_processed_when_it_returns",
    ),
    "Redis restarted with work queued in it": (
        "tests.integration.test_pipeline_worker",
        "test_work_queued_when_redis_restarts_is_recovered",
    ),
    "A Celery worker killed (SIGKILL) mid-extraction": (
        "tests.integration.test_pipeline_worker",
        "test_a_worker_killed_mid_extraction_loses_nothing_and_duplicates_nothing",
    ),
    "A webhook receiver that never answers": (
        "tests.reliability.test_webhook_receivers",
        "test_a_receiver_that_never_answers_times_out_and_the_attempt_is_recorded",
    ),
    "A webhook receiver that trickles its answer": (
        "tests.reliability.test_webhook_receivers",
        "test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout",
    ),
    "A webhook receiver with an endless answer": (
        "tests.reliability.test_webhook_receivers",
        "test_an_endless_answer_is_read_only_up_to_the_limit",
    ),
    "A disk that fills up during an export": (
        "tests.claims.test_backup",
        "test_an_export_that_runs_out_of_space_fails_clearly_and_leaves_no_partial_file",
    ),
}
