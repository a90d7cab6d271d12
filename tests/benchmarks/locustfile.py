"""Locust users for bench_api.py: one user class per measured endpoint or floor.

bench_api.py runs each class alone (`locust --headless ... ClaimsList`) with BENCH_INPUT
naming a JSON file of API keys, claim ids, statuses and query texts drawn from the corpus,
and BENCH_SAMPLES_OUT the file where every response time (ms, unrounded) is written when
locust quits; locust's own percentiles are rounded to whole or tens of milliseconds.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, constant, events, task

INPUT: dict[str, Any] = json.loads(Path(os.environ["BENCH_INPUT"]).read_text(encoding="utf-8"))
_samples: list[float] = []
_failures: list[str] = []


@events.request.add_listener
def _record(response_time: float, exception: Any = None, response: Any = None, **_: Any) -> None:
    if exception is None:
        _samples.append(response_time)
    elif len(_failures) < 20:
        status = getattr(response, "status_code", None)
        body = (getattr(response, "text", "") or "")[:200]
        _failures.append(f"{status}: {exception} {body}")
    else:
        _failures.append("")


@events.quitting.add_listener
def _dump(**_: Any) -> None:
    with open(os.environ["BENCH_SAMPLES_OUT"], "w", encoding="utf-8") as out:
        json.dump({"samples": _samples, "failures": _failures}, out)


class _Bench(HttpUser):
    abstract = True
    wait_time = constant(0)  # closed loop: each user sends its next request on the answer
    key = "desk_key"

    def on_start(self) -> None:
        self.rng = random.Random()
        self.client.headers["Authorization"] = f"Bearer {INPUT[self.key]}"

    def status(self) -> str:
        return str(self.rng.choice(INPUT["statuses"]))

    def claim_id(self) -> int:
        return int(self.rng.choice(INPUT["claim_ids"]))

    def search(self) -> str:
        return str(self.rng.choice(INPUT["searches"]))

    def similar(self) -> str:
        return str(self.rng.choice(INPUT["similar"]))


class FloorConstant(_Bench):
    @task
    def hit(self) -> None:
        self.client.get("/bench-floor/constant", name="floor constant")


class FloorClaimsList(_Bench):
    @task
    def hit(self) -> None:
        self.client.get(
            "/bench-floor/claims", params={"status": self.status()}, name="floor claims list"
        )


class ClaimsList(_Bench):
    @task
    def hit(self) -> None:
        self.client.get(
            "/api/v1/claims/",
            params={"status": self.status(), "page_size": 50},
            name="claims list",
        )


class ClientClaimsList(ClaimsList):
    key = "client_key"


class FloorClaimDetail(_Bench):
    @task
    def hit(self) -> None:
        self.client.get(f"/bench-floor/claims/{self.claim_id()}", name="floor claim detail")


class ClaimDetail(_Bench):
    @task
    def hit(self) -> None:
        self.client.get(f"/api/v1/claims/{self.claim_id()}/", name="claim detail")


class ClientClaimDetail(_Bench):
    key = "client_key"

    @task
    def hit(self) -> None:
        pk = int(self.rng.choice(INPUT["published_ids"]))
        self.client.get(f"/api/v1/claims/{pk}/", name="claim detail (client)")


class FloorSearch(_Bench):
    @task
    def hit(self) -> None:
        self.client.get("/bench-floor/claims/search", params={"q": self.search()}, name="floor")


class Search(_Bench):
    @task
    def hit(self) -> None:
        self.client.get(
            "/api/v1/claims/", params={"q": self.search(), "page_size": 50}, name="search"
        )


class FloorSimilar(_Bench):
    @task
    def hit(self) -> None:
        self.client.get(
            "/bench-floor/claims/similar", params={"text": self.similar()}, name="floor"
        )


class Similar(_Bench):
    @task
    def hit(self) -> None:
        self.client.get("/api/v1/claims/similar/", params={"text": self.similar()}, name="similar")


class SubmitSource(_Bench):
    key = "client_key"

    @task
    def hit(self) -> None:
        token = uuid.uuid4().hex
        paragraphs = self.rng.sample(INPUT["article_sentences"], k=30)
        text = " ".join(paragraphs) + f" Reference {token}."
        self.client.post(
            "/api/v1/sources/",
            json={
                "url": f"https://bench.example/{token}",
                "title": f"Bench article {token[:8]}",
                "text": text,
            },
            name="source submission",
        )
