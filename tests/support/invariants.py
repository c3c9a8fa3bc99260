"""What must hold across the whole stack once its flows have settled, whatever the tests did before.

The check reads the running local cloud as its administrator - the flight, booking, payment and
loyalty tables, the loyalty queue and the booking state machine's executions - into a
:class:`Snapshot`, and applies each rule below to it. Each rule is one small function returning the
violations it finds, each message starting with the rule's name, so a failure says which promise
broke and for which item:

* ``booking-not-terminal``: a booking whose execution has ended is CONFIRMED or CANCELLED;
* ``seats``: per flight, the seats taken (capacity - available) equal its confirmed bookings, and the
  seats available are never below 0 nor above capacity;
* ``stray-charge``: a captured charge belongs to a confirmed booking (else it has been refunded);
* ``loyalty``: a customer's points are the sum of the points of their confirmed bookings, each
  credited once and only for a confirmed booking of theirs;
* ``execution-running``: no execution is still RUNNING once the flows have settled.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from loyalty.rules import points_earned
from tests.support.local_cloud import ACCOUNT_ID, LocalCloud, wait_for

Item = dict[str, Any]

TERMINAL_BOOKING_STATUSES = frozenset({"CONFIRMED", "CANCELLED"})
CONFIRMED = "CONFIRMED"
CAPTURED = "CAPTURED"
RUNNING = "RUNNING"
LOYALTY_TOTAL_KEY = "TOTAL"
LOYALTY_BOOKING_PREFIX = "BOOKING#"
SETTLE_SECONDS = 90


@dataclass(frozen=True)
class Snapshot:
    """The stack's data at one moment, as plain Python values (DynamoDB numbers as ``Decimal``)."""

    flights: list[Item] = field(default_factory=list)
    bookings: list[Item] = field(default_factory=list)
    charges: list[Item] = field(default_factory=list)
    loyalty: list[Item] = field(default_factory=list)
    """The loyalty table's items: ``TOTAL`` per customer and one ``BOOKING#<id>`` per credited booking."""
    executions: dict[str, str] = field(default_factory=dict)
    """Execution name (the booking id) -> status."""


# ---------------------------------------------------------------------------------------- rules


def points_for_booking(booking: Item) -> int:
    """The points a confirmed booking earns, by the loyalty programme's own rule (its earning rate per
    currency and its per-booking bound are tested on their own in tests/unit/test_loyalty_rules.py)."""
    return points_earned(int(booking["amount"]), booking["currency"])


def bookings_not_terminal(snapshot: Snapshot) -> list[str]:
    found = []
    for booking in snapshot.bookings:
        execution = snapshot.executions.get(booking["id"])
        if execution not in {None, RUNNING} and booking["status"] not in TERMINAL_BOOKING_STATUSES:
            found.append(
                f"booking-not-terminal: booking {booking['id']} is {booking['status']} "
                f"though its execution ended {execution}"
            )
    return found


def seat_counts(snapshot: Snapshot) -> list[str]:
    confirmed = Counter(b["flightId"] for b in snapshot.bookings if b["status"] == CONFIRMED)
    found = []
    for flight in snapshot.flights:
        capacity, available = int(flight["seatCapacity"]), int(flight["seatsAvailable"])
        if not 0 <= available <= capacity:
            found.append(f"seats: flight {flight['id']} has {available} seats available of {capacity}")
        if capacity - available != confirmed[flight["id"]]:
            found.append(
                f"seats: flight {flight['id']} has {capacity - available} seats taken "
                f"but {confirmed[flight['id']]} confirmed bookings"
            )
    return found


def stray_charges(snapshot: Snapshot) -> list[str]:
    statuses = {booking["id"]: booking["status"] for booking in snapshot.bookings}
    return [
        f"stray-charge: charge {charge.get('chargeId')} of booking {charge['bookingId']} is captured "
        f"but the booking is {statuses.get(charge['bookingId'], 'missing')}"
        for charge in snapshot.charges
        if charge["status"] == CAPTURED and statuses.get(charge["bookingId"]) != CONFIRMED
    ]


def loyalty_points(snapshot: Snapshot) -> list[str]:
    confirmed = {b["id"]: b for b in snapshot.bookings if b["status"] == CONFIRMED}
    earned: Counter[str] = Counter()
    for earning in confirmed.values():
        earned[earning["customerId"]] += points_for_booking(earning)
    totals: dict[str, int] = {}
    credited: set[str] = set()
    found = []
    for item in snapshot.loyalty:
        customer, key = item["customerId"], item["sk"]
        if key == LOYALTY_TOTAL_KEY:
            totals[customer] = int(item.get("points", 0))
            continue
        booking_id = key.removeprefix(LOYALTY_BOOKING_PREFIX)
        credited.add(booking_id)
        booking = confirmed.get(booking_id)
        if booking is None or booking["customerId"] != customer:
            found.append(
                f"loyalty: customer {customer} was credited for booking {booking_id}, "
                "not a confirmed booking of theirs"
            )
        elif int(item["points"]) != points_for_booking(booking):
            found.append(
                f"loyalty: booking {booking_id} was credited {int(item['points'])} points, "
                f"it earns {points_for_booking(booking)}"
            )
    found.extend(
        f"loyalty: confirmed booking {booking_id} of customer {booking['customerId']} was never credited"
        for booking_id, booking in confirmed.items()
        if booking_id not in credited
    )
    for customer in sorted(set(earned) | set(totals)):
        if totals.get(customer, 0) != earned[customer]:
            found.append(
                f"loyalty: customer {customer} has {totals.get(customer, 0)} points, "
                f"their confirmed bookings earn {earned[customer]}"
            )
    return found


def executions_running(snapshot: Snapshot) -> list[str]:
    return [
        f"execution-running: execution {name} is still RUNNING"
        for name, status in snapshot.executions.items()
        if status == RUNNING
    ]


RULES: tuple[Callable[[Snapshot], list[str]], ...] = (
    bookings_not_terminal,
    seat_counts,
    stray_charges,
    loyalty_points,
    executions_running,
)


def violations(snapshot: Snapshot) -> list[str]:
    """Every broken rule, each a sentence naming the rule and the item."""
    return [violation for rule in RULES for violation in rule(snapshot)]


def assert_consistent(snapshot: Snapshot) -> None:
    broken = violations(snapshot)
    assert not broken, "the system is inconsistent:\n" + "\n".join(f"  - {v}" for v in broken)


# ---------------------------------------------------------------------------------------- reading


def _scan(dynamodb: Any, table: str) -> list[Item]:
    deserializer = TypeDeserializer()
    items: list[Item] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items.extend({k: deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"])
    return items


def _executions(sfn: Any, state_machine_arn: str) -> dict[str, str]:
    return {
        execution["name"]: execution["status"]
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
        for execution in page["executions"]
    }


def queue_url(cloud: LocalCloud, logical_id: str) -> str:
    """The local endpoint's URL of one of the stack's queues."""
    assert cloud.stack is not None
    return f"{cloud.endpoints.aws}/{ACCOUNT_ID}/{cloud.stack.physical_id(logical_id).rsplit('/', 1)[-1]}"


def _messages_left(cloud: LocalCloud, queue_url: str) -> int:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)[
        "Attributes"
    ]
    return sum(int(attributes.get(name, 0)) for name in names)


def snapshot(cloud: LocalCloud) -> Snapshot:
    """The stack's data now, read with the local administrator's credentials."""
    assert cloud.stack is not None
    outputs = cloud.stack.outputs
    return read_snapshot(cloud.client("dynamodb"), cloud.client("stepfunctions"), outputs)


def read_snapshot(dynamodb: Any, stepfunctions: Any, outputs: dict[str, str]) -> Snapshot:
    """The stack's data now, through these clients; ``outputs`` names the tables and the state
    machine as the stack's outputs do (also for a stack deployed inside a moto mock)."""
    return Snapshot(
        flights=_scan(dynamodb, outputs["FlightTableName"]),
        bookings=_scan(dynamodb, outputs["BookingTableName"]),
        charges=_scan(dynamodb, outputs["PaymentTableName"]),
        loyalty=_scan(dynamodb, outputs["LoyaltyTableName"]),
        executions=_executions(stepfunctions, outputs["BookingStateMachineArn"]),
    )


def settled(cloud: LocalCloud, queues: Iterable[str] = ("LoyaltyQueue",)) -> bool:
    """No execution running and no notice waiting or being processed on the loyalty queue."""
    assert cloud.stack is not None
    executions = _executions(cloud.client("stepfunctions"), cloud.stack.outputs["BookingStateMachineArn"])
    if RUNNING in executions.values():
        return False
    return all(_messages_left(cloud, queue_url(cloud, queue)) == 0 for queue in queues)


def assert_system_consistent(cloud: LocalCloud) -> None:
    """Wait for the flows to settle (at most ``SETTLE_SECONDS``), then check every rule once."""
    wait_for(lambda: settled(cloud), SETTLE_SECONDS)
    assert_consistent(snapshot(cloud))
