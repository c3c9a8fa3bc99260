"""The cost model: what a million bookings and a million loyalty reads cost at public on-demand prices
(``benchmarks/prices.yaml``), from the work each request was measured to do.

Per request, each service bills what the local cloud saw it do:

* AppSync: the GraphQL operations the client sent (status polls not included);
* API Gateway: the REST API requests (the local API Gateway's access log);
* Lambda: each invocation's request, and its duration (the function's median warm duration, billed in
  1 ms increments) times its configured memory;
* Step Functions Standard: the execution's state transitions; the Express variant instead pays one
  request and the execution's duration (rounded up to 100 ms) times 64 MB, the smallest chunk;
* DynamoDB: the read and write request units (:mod:`benchmarks.capacity`);
* SNS: each publish; SQS: each message the loyalty queue carried costs its delivery (SNS sending it),
  the receive that got it and its delete - the event source's empty polls are a fixed cost, not a
  per-request one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from benchmarks.invocations import FunctionRuntime, gb_seconds
from benchmarks.work import Work

PRICES_PATH = Path(__file__).with_name("prices.yaml")
EXPRESS_MEMORY_MB = 64
EXPRESS_BILLING_INCREMENT_MS = 100
PER_MILLION = 1_000_000

REQUIRED_PRICES = (
    "lambda_request",
    "lambda_arm64_gb_second",
    "step_functions_standard_transition",
    "step_functions_express_request",
    "step_functions_express_gb_second",
    "dynamodb_write_request_unit",
    "dynamodb_read_request_unit",
    "sns_publish",
    "sqs_request",
    "api_gateway_rest_request",
    "appsync_operation",
    "cognito_monthly_active_user",
)


class PriceError(ValueError):
    """``prices.yaml`` is missing a price or has a malformed one; the message names it."""


@dataclass(frozen=True)
class Price:
    key: str
    amount: float
    per: int
    unit: str
    source: str
    taken: str
    confirmed: bool
    note: str

    @property
    def unit_price(self) -> float:
        return self.amount / self.per


@dataclass(frozen=True)
class Prices:
    region: str
    currency: str
    entries: dict[str, Price]

    def __getitem__(self, key: str) -> Price:
        return self.entries[key]


def load_prices(path: Path = PRICES_PATH) -> Prices:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("prices"), dict):
        raise PriceError(f"{path}: expected a mapping with `region`, `currency` and `prices`")
    entries = {key: _price(key, value) for key, value in document["prices"].items()}
    missing = [key for key in REQUIRED_PRICES if key not in entries]
    if missing:
        raise PriceError(f"{path}: no price for {', '.join(missing)}")
    return Prices(region=str(document.get("region")), currency=str(document.get("currency")), entries=entries)


def _price(key: str, value: Any) -> Price:
    if not isinstance(value, dict):
        raise PriceError(f"{key}: expected a mapping")
    try:
        amount, per = float(value["amount"]), int(value["per"])
        taken = value["taken"]
        price = Price(
            key=key,
            amount=amount,
            per=per,
            unit=str(value["unit"]),
            source=str(value["source"]),
            taken=taken.isoformat() if isinstance(taken, date) else str(taken),
            confirmed=bool(value["confirmed"]),
            note=str(value.get("note", "")),
        )
    except KeyError as error:
        raise PriceError(f"{key}: missing {error.args[0]}") from None
    except (TypeError, ValueError) as error:
        raise PriceError(f"{key}: {error}") from None
    if amount <= 0 or per <= 0:
        raise PriceError(f"{key}: amount and per must be positive")
    return price


@dataclass(frozen=True)
class CostLine:
    service: str
    item: str
    quantity: float
    """Per request."""
    unit: str
    price_key: str
    cost_per_million: float


class CostSheet:
    """Cost lines of one request, each priced from ``prices.yaml``."""

    def __init__(self, prices: Prices) -> None:
        self.prices = prices
        self.lines: list[CostLine] = []

    def add(self, service: str, item: str, quantity: float, *, unit: str, price: str) -> None:
        cost = quantity * self.prices[price].unit_price * PER_MILLION
        self.lines.append(CostLine(service, item, quantity, unit, price, cost))


def request_cost(
    work: Work,
    runtimes: Mapping[str, FunctionRuntime],
    prices: Prices,
    *,
    express_seconds: float | None = None,
) -> list[CostLine]:
    """What one request of ``work``'s kind costs, per service, per million requests. With
    ``express_seconds``, the saga runs as an Express workflow of that duration instead."""
    sheet = CostSheet(prices)
    if work.graphql_requests:
        sheet.add(
            "AppSync",
            "GraphQL operations",
            work.graphql_requests,
            unit="operation",
            price="appsync_operation",
        )
    if work.api_requests:
        sheet.add(
            "API Gateway",
            "REST API requests",
            work.api_requests,
            unit="request",
            price="api_gateway_rest_request",
        )
    for function, durations in sorted(work.invocations.items()):
        if function not in runtimes:
            raise ValueError(f"{function} was invoked but has no memory and duration summary")
        runtime = runtimes[function]
        billed = runtime.billed_ms if runtime.billed_ms is not None else math.ceil(max(durations))
        memory = runtime.memory_size_mb
        sheet.add("Lambda", f"{function} requests", len(durations), unit="request", price="lambda_request")
        sheet.add(
            "Lambda",
            f"{function} duration ({billed} ms x {memory} MB)",
            len(durations) * gb_seconds(billed, memory),
            unit="GB-second",
            price="lambda_arm64_gb_second",
        )
    if work.state_transitions and express_seconds is None:
        sheet.add(
            "Step Functions",
            "Standard state transitions",
            work.state_transitions,
            unit="transition",
            price="step_functions_standard_transition",
        )
    elif work.state_transitions and express_seconds is not None:
        increments = math.ceil(express_seconds * 1000 / EXPRESS_BILLING_INCREMENT_MS)
        billed_ms = increments * EXPRESS_BILLING_INCREMENT_MS
        sheet.add(
            "Step Functions", "Express request", 1, unit="request", price="step_functions_express_request"
        )
        sheet.add(
            "Step Functions",
            f"Express duration ({billed_ms} ms x {EXPRESS_MEMORY_MB} MB)",
            gb_seconds(billed_ms, EXPRESS_MEMORY_MB),
            unit="GB-second",
            price="step_functions_express_gb_second",
        )
    if work.read_units:
        sheet.add(
            "DynamoDB", "read request units", work.read_units, unit="RRU", price="dynamodb_read_request_unit"
        )
    if work.write_units:
        sheet.add(
            "DynamoDB",
            "write request units",
            work.write_units,
            unit="WRU",
            price="dynamodb_write_request_unit",
        )
    publishes = work.count_of("sns:Publish")
    if publishes:
        sheet.add("SNS", "publishes", publishes, unit="publish", price="sns_publish")
    messages = work.count_of("sqs:DeleteMessage")
    if messages:
        sheet.add(
            "SQS",
            "delivery, receive and delete of each message",
            3 * messages,
            unit="request",
            price="sqs_request",
        )
    return sheet.lines


def total(lines: list[CostLine]) -> float:
    return sum(cost.cost_per_million for cost in lines)


def cold_start_cost_per_million(runtime: FunctionRuntime, prices: Prices) -> float | None:
    """What a million cold starts add since Lambda bills the init phase (from August 2025): the
    measured init duration at the configured memory."""
    if runtime.init_ms is None:
        return None
    billed = math.ceil(runtime.init_ms.median)
    return (
        gb_seconds(billed, runtime.memory_size_mb) * prices["lambda_arm64_gb_second"].unit_price * PER_MILLION
    )
