"""The cost model's arithmetic and its prices file."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.invocations import FunctionRuntime
from benchmarks.pricing import (
    REQUIRED_PRICES,
    PriceError,
    cold_start_cost_per_million,
    load_prices,
    request_cost,
    total,
)
from benchmarks.stats import Summary
from benchmarks.work import CallCount, CapacityUse, Work

PRICES = load_prices()


def runtime(function: str, memory_mb: int, warm_ms: float, init_ms: float | None = None) -> FunctionRuntime:
    return FunctionRuntime(
        function=function,
        memory_size_mb=memory_mb,
        invocations=3,
        cold_starts=0 if init_ms is None else 1,
        duration_ms=Summary.of([warm_ms]),
        loaded_duration_ms=None,
        init_ms=None if init_ms is None else Summary.of([init_ms]),
        peak_memory_mb=60,
        suggested_memory_mb=128,
    )


def booking() -> Work:
    return Work(
        name="confirmed",
        outcome="SUCCEEDED",
        calls=[
            CallCount("NotifyRole", "sns:Publish", "Topic", 1, polling=False),
            CallCount("IngestRole", "sqs:DeleteMessage", "Queue", 1, polling=False),
            CallCount("IngestRole", "sqs:ReceiveMessage", "Queue", 40, polling=True),
        ],
        capacity=[
            CapacityUse("ReadRole", "GetItem", "Flights", 1, 0.5, 0.0),
            CapacityUse("ReserveRole", "PutItem", "Bookings", 1, 0.0, 2.0),
        ],
        invocations={"Reserve": [12.0]},
        state_transitions=6,
        graphql_requests=1,
    )


def costs_by_item(lines: list) -> dict[str, float]:  # type: ignore[type-arg]
    return {line.item: line.cost_per_million for line in lines}


def test_the_shipped_prices_file_has_every_price_the_model_needs() -> None:
    assert set(REQUIRED_PRICES) <= set(PRICES.entries)
    assert all(price.source and price.taken for price in PRICES.entries.values())


def test_each_service_is_priced_from_what_the_request_did() -> None:
    costs = costs_by_item(request_cost(booking(), {"Reserve": runtime("Reserve", 256, 40.2)}, PRICES))

    unit = {key: price.unit_price * 1_000_000 for key, price in PRICES.entries.items()}
    assert costs["GraphQL operations"] == pytest.approx(unit["appsync_operation"])
    assert costs["Standard state transitions"] == pytest.approx(
        6 * unit["step_functions_standard_transition"]
    )
    assert costs["Reserve requests"] == pytest.approx(unit["lambda_request"])
    # 40.2 ms is billed as 41 ms, at 256 MB.
    assert costs["Reserve duration (41 ms x 256 MB)"] == pytest.approx(
        0.041 * 0.25 * unit["lambda_arm64_gb_second"]
    )
    assert costs["read request units"] == pytest.approx(0.5 * unit["dynamodb_read_request_unit"])
    assert costs["write request units"] == pytest.approx(2 * unit["dynamodb_write_request_unit"])
    assert costs["publishes"] == pytest.approx(unit["sns_publish"])
    # The message's delivery, its receive and its delete; the 40 scheduled polls are not per request.
    assert costs["delivery, receive and delete of each message"] == pytest.approx(3 * unit["sqs_request"])


def test_the_express_variant_pays_a_request_and_its_duration_instead_of_transitions() -> None:
    lines = request_cost(booking(), {"Reserve": runtime("Reserve", 256, 40.0)}, PRICES, express_seconds=0.71)
    costs = costs_by_item(lines)

    assert "Standard state transitions" not in costs
    assert costs["Express request"] == pytest.approx(
        PRICES["step_functions_express_request"].unit_price * 1e6
    )
    # 0.71 s is billed as 800 ms, at 64 MB.
    assert costs["Express duration (800 ms x 64 MB)"] == pytest.approx(
        0.8 * (64 / 1024) * PRICES["step_functions_express_gb_second"].unit_price * 1e6
    )
    assert total(lines) < total(request_cost(booking(), {"Reserve": runtime("Reserve", 256, 40.0)}, PRICES))


def test_an_invoked_function_without_a_runtime_summary_is_an_error() -> None:
    with pytest.raises(ValueError, match="Reserve"):
        request_cost(booking(), {}, PRICES)


def test_a_million_cold_starts_cost_their_init_at_the_configured_memory() -> None:
    cost = cold_start_cost_per_million(runtime("Reserve", 512, 30.0, init_ms=999.2), PRICES)

    assert cost == pytest.approx(1.0 * 0.5 * PRICES["lambda_arm64_gb_second"].unit_price * 1e6)


def test_a_price_file_without_a_needed_price_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("region: eu-west-1\ncurrency: USD\nprices: {}\n", encoding="utf-8")

    with pytest.raises(PriceError, match="no price for lambda_request"):
        load_prices(path)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{amount: 0.2, per: 1000000, unit: request, source: s, taken: 2026-01-01}", "missing confirmed"),
        ("{amount: -1, per: 1, unit: r, source: s, taken: 2026-01-01, confirmed: true}", "positive"),
        ("{amount: lots, per: 1, unit: r, source: s, taken: 2026-01-01, confirmed: true}", "lambda_request"),
    ],
)
def test_a_malformed_price_is_refused_with_its_name(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        f"region: eu-west-1\ncurrency: USD\nprices:\n  lambda_request: {entry}\n", encoding="utf-8"
    )

    with pytest.raises(PriceError, match=message):
        load_prices(path)
