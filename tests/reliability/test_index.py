"""The fault index points at tests that exist, so moving one cannot silently drop it."""

from __future__ import annotations

import importlib

from tests.reliability import FAULTS


def test_every_fault_in_the_index_names_a_test_that_exists():
    for fault, (module, name) in FAULTS.items():
        test = getattr(importlib.import_module(module), name, None)
        assert callable(test), f"{fault}: {module}.{name} is gone"
