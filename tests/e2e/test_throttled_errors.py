"""Throttling reaches the client as a distinct, retryable GraphQL error.

The loyalty REST API's stage throttles (template.yaml: burst 50, 25 requests a second), and the local
API Gateway enforces it, as API Gateway does, before it authenticates anyone: unsigned calls from
anywhere drain the stage's bucket. While they do, a burst of getLoyalty fields (each one signed call
of AppSync's HTTP data source) meets the empty bucket. The refused fields answer ``Throttled`` with a
retry hint; the others answer the points; nothing else is an error.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.support.local_cloud import Customer, LocalCloud

pytestmark = pytest.mark.local_cloud

FIELDS_PER_REQUEST = 40
MOST_ROUNDS = 10
"""At most 10 GraphQL requests of 40 fields (of the web ACL's 1,000 requests per address)."""
FLOODERS = 2
MOST_FLOOD_CALLS = 5_000
"""Per flooder: unsigned calls are refused (403 or 429) without running the function, so they are cheap."""
HTTP_TIMEOUT_SECONDS = 120


def flood(cloud: LocalCloud, stop: threading.Event) -> int:
    """Unsigned calls to the loyalty API until ``stop`` (at most ``MOST_FLOOD_CALLS``); how many 429s."""
    assert cloud.endpoints.loyalty_api is not None
    url = f"{cloud.endpoints.loyalty_api}/loyalty/{uuid.uuid4()}/get"
    throttled = 0
    with requests.Session() as session:
        for _ in range(MOST_FLOOD_CALLS):
            if stop.is_set():
                break
            throttled += session.get(url, timeout=HTTP_TIMEOUT_SECONDS).status_code == 429
    return throttled


def loyalty_burst(cloud: LocalCloud, customer: Customer) -> list[dict[str, Any]]:
    """One request asking for the caller's points ``FIELDS_PER_REQUEST`` times; its errors."""
    assert cloud.endpoints.graphql is not None
    query = "query { " + " ".join(f"a{n}: getLoyalty {{ points }}" for n in range(FIELDS_PER_REQUEST)) + " }"
    response = requests.post(
        cloud.endpoints.graphql,
        json={"query": query},
        headers={"Authorization": customer.id_token},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    errors: list[dict[str, Any]] = payload.get("errors") or []
    answered = [value for value in (payload.get("data") or {}).values() if value is not None]
    assert len(answered) + len(errors) == FIELDS_PER_REQUEST
    return errors


def test_a_burst_past_the_loyalty_stages_throttle_answers_throttled_with_a_retry_hint(
    cloud: LocalCloud,
) -> None:
    customer = cloud.create_customer(f"e2e-{uuid.uuid4().hex[:10]}@example.com")
    errors: list[dict[str, Any]] = []
    stop = threading.Event()
    with ThreadPoolExecutor(FLOODERS) as pool:
        flooders = [pool.submit(flood, cloud, stop) for _ in range(FLOODERS)]
        try:
            for _ in range(MOST_ROUNDS):
                errors.extend(loyalty_burst(cloud, customer))
                if errors:
                    break
        finally:
            stop.set()
        refused_floods = sum(flooder.result() for flooder in flooders)

    assert refused_floods > 0, "the flood never emptied the stage's bucket"
    assert errors, "the burst never ran past the stage's throttle"
    assert {error["errorType"] for error in errors} == {"Throttled"}
    assert {error["message"] for error in errors} == {"The loyalty service is busy: retry after a backoff"}
    assert all(error["errorInfo"]["retryable"] is True for error in errors)
