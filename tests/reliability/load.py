"""Concurrent clients for the fault and load tests: threads that call a step function in a
loop until told to stop, keeping every answer."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from tests.support.http import Answer

Step = Callable[[int, int], Answer]


class Load:
    def __init__(self, clients: int, step: Step) -> None:
        self.step = step
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True, name=f"client-{i}")
            for i in range(clients)
        ]
        self.failures: list[BaseException] = []

    def _run(self, client: int) -> None:
        n = 0
        while not self._stop.is_set():
            try:
                answer = self.step(client, n)
            except BaseException as exc:  # a bug in the scenario, reported by stop()
                self.failures.append(exc)
                return
            with self._lock:
                self.answers.append(answer)
            n += 1

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        if self.failures:
            raise self.failures[0]
        assert not any(t.is_alive() for t in self._threads), "a client thread is stuck"
        return self.snapshot()

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)

    def count(self, predicate: Callable[[Answer], bool], *, since: float = 0.0) -> int:
        return sum(1 for a in self.snapshot() if a.started >= since and predicate(a))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
