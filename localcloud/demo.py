"""The walkthrough: the booking and loyalty flows run end to end, each step checked and printed.

    python -m localcloud.demo

Builds the stack's tables, queues, topic and subscription from template.yaml in an embedded moto,
runs the real state machine definition with the real handlers, and exits 0 only if every step
behaved as expected.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from moto import mock_aws

from localcloud.inprocess import InProcessLambdaRunner
from localcloud.saga import Saga
from localcloud.sqs_event_source import drain
from localcloud.stack import REGION, MockStack, deploy_embedded
from stacktools.catalog import Flight, sample_flights, seed

CUSTOMER_ID = str(uuid.UUID(int=0x0D3C3A1E5B7F4C1E9A8E2F6B1D4C7E90))


@dataclass
class Trail:
    """A readable record of the walkthrough: what each step expected and what happened."""

    failures: list[str] = field(default_factory=list)
    count: int = 0

    def section(self, title: str) -> None:
        print(f"\n== {title}")

    def check(self, step: str, ok: bool, outcome: str) -> bool:
        self.count += 1
        print(f"  [{'ok' if ok else 'FAILED'}] {step}: {outcome}")
        if not ok:
            self.failures.append(step)
        return ok


def _item(stack: MockStack, table: str, key: dict[str, str]) -> dict[str, Any]:
    client = boto3.client("dynamodb", region_name=REGION)
    response = client.get_item(
        TableName=stack.physical_id(table), Key={name: {"S": value} for name, value in key.items()}
    )
    return {name: next(iter(value.values())) for name, value in response.get("Item", {}).items()}


def _book(saga: Saga, flight: Flight, token: str) -> tuple[str, str, str | None]:
    booking_id = str(uuid.uuid4())
    result = saga.run(
        {"bookingId": booking_id, "customerId": CUSTOMER_ID, "flightId": flight.id, "paymentToken": token}
    )
    return booking_id, result.status, result.error


def _points(runner: InProcessLambdaRunner, stack: MockStack) -> dict[str, Any]:
    drain(stack.physical_id("LoyaltyQueue"), lambda event: runner.call("IngestLoyaltyFunction", event))
    response = runner.call(
        "GetLoyaltyFunction",
        {
            "resource": "/loyalty/{customerId}/get",
            "path": f"/loyalty/{CUSTOMER_ID}/get",
            "httpMethod": "GET",
            "pathParameters": {"customerId": CUSTOMER_ID},
            "requestContext": {"stage": "dev", "requestId": str(uuid.uuid4())},
        },
    )
    body: dict[str, Any] = json.loads(response["body"])
    return body


def walk(trail: Trail) -> None:
    trail.section("Stack built from template.yaml (embedded moto)")
    stack = deploy_embedded()
    trail.check("deployed", True, f"{len(stack.deployed.resources)} resources of the translated template")
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with InProcessLambdaRunner(stack, environment_overrides=quiet).installed() as runner:
        saga = Saga(stack=stack, runner=runner)
        flights = {f.flight_number: f for f in sample_flights(datetime.now(UTC).date())}
        added = seed(
            boto3.client("dynamodb", region_name=REGION),
            stack.physical_id("FlightTable"),
            [*flights.values()],
        )
        trail.check("catalog seeded", added == len(flights), f"{added} flights")

        trail.section("A confirmed booking")
        flight = flights["SA101"]
        booking_id, status, error = _book(saga, flight, "tok_visa")
        booking = _item(stack, "BookingTable", {"id": booking_id})
        trail.check("saga", status == "SUCCEEDED", f"execution {status}, booking {booking.get('status')}")
        charge = _item(stack, "PaymentTable", {"bookingId": booking_id})
        trail.check(
            "charged the catalog price",
            charge.get("status") == "CAPTURED" and int(charge.get("amount", 0)) == flight.price,
            f"{charge.get('status')} {charge.get('amount')} {charge.get('currency')}"
            f" (catalog price: {flight.price})",
        )
        seats = int(_item(stack, "FlightTable", {"id": flight.id})["seatsAvailable"])
        trail.check(
            "seat taken", seats == flight.seat_capacity - 1, f"{seats} of {flight.seat_capacity} left"
        )
        loyalty = _points(runner, stack)
        trail.check("points credited once", loyalty["points"] == flight.price, json.dumps(loyalty))

        trail.section("A declined card")
        booking_id, status, error = _book(saga, flight, "tok_chargeDeclined")
        booking = _item(stack, "BookingTable", {"id": booking_id})
        trail.check(
            "compensated",
            error == "BookingCancelled" and booking.get("status") == "CANCELLED",
            f"execution {status} ({error}), booking {booking.get('status')}",
        )
        seats = int(_item(stack, "FlightTable", {"id": flight.id})["seatsAvailable"])
        trail.check(
            "seat released", seats == flight.seat_capacity - 1, f"{seats} of {flight.seat_capacity} left"
        )
        charge = _item(stack, "PaymentTable", {"bookingId": booking_id})
        trail.check("nothing captured", charge.get("status") == "DECLINED", f"charge {charge.get('status')}")
        loyalty = _points(runner, stack)
        trail.check("no points for it", loyalty["points"] == flight.price, json.dumps(loyalty))

        trail.section("A full flight")
        small = flights["SA301"]
        outcomes = [_book(saga, small, "tok_visa")[1] for _ in range(small.seat_capacity)]
        trail.check("filled", outcomes == ["SUCCEEDED"] * small.seat_capacity, ", ".join(outcomes))
        booking_id, status, error = _book(saga, small, "tok_visa")
        trail.check(
            "one more is refused",
            error == "NoSeatAvailable" and not _item(stack, "BookingTable", {"id": booking_id}),
            f"execution {status} ({error}), no booking created",
        )


def _isolate_from_real_aws() -> None:
    """Fake credentials and a fixed region: nothing in the walkthrough can reach a real account."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    # moto logs every failed state at ERROR; here a failed execution is an expected outcome.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    for variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(variable, None)


def main() -> int:
    _isolate_from_real_aws()
    trail = Trail()
    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        "iam": {"load_aws_managed_policies": True},
    }
    with mock_aws(config=config):
        walk(trail)
    if trail.failures:
        print(f"\n{len(trail.failures)} of {trail.count} checks FAILED: {', '.join(trail.failures)}")
        return 1
    print(f"\nAll {trail.count} checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
