"""Helpers shared by the suites that run real processes (tests/integration, tests/reliability)."""
