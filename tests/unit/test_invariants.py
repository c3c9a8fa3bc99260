"""The whole-system check can fail: each rule, given a snapshot that breaks it, names it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tests.support.invariants import Snapshot, assert_consistent, violations

ALICE, BOB = "c-alice", "c-bob"


def booking(
    booking_id: str, status: str, *, customer: str = ALICE, flight: str = "SA101", amount: int = 12_900
) -> dict[str, Any]:
    return {
        "id": booking_id,
        "customerId": customer,
        "flightId": flight,
        "status": status,
        "amount": Decimal(amount),
        "currency": "EUR",
    }


def consistent() -> Snapshot:
    """Two confirmed bookings of Alice's on SA101, one of Bob's cancelled (charge refunded)."""
    return Snapshot(
        flights=[{"id": "SA101", "seatCapacity": Decimal(10), "seatsAvailable": Decimal(8)}],
        bookings=[
            booking("b1", "CONFIRMED"),
            booking("b2", "CONFIRMED", amount=100),
            booking("b3", "CANCELLED", customer=BOB),
        ],
        charges=[
            {"bookingId": "b1", "chargeId": "ch1", "status": "CAPTURED"},
            {"bookingId": "b2", "chargeId": "ch2", "status": "CAPTURED"},
            {"bookingId": "b3", "chargeId": "ch3", "status": "REFUNDED"},
        ],
        loyalty=[
            {"customerId": ALICE, "sk": "TOTAL", "points": Decimal(13_000)},
            {"customerId": ALICE, "sk": "BOOKING#b1", "points": Decimal(12_900)},
            {"customerId": ALICE, "sk": "BOOKING#b2", "points": Decimal(100)},
        ],
        executions={"b1": "SUCCEEDED", "b2": "SUCCEEDED", "b3": "FAILED"},
    )


def test_a_consistent_system_passes() -> None:
    assert violations(consistent()) == []
    assert_consistent(consistent())


def with_item(items: list[dict[str, Any]], index: int, **changes: Any) -> list[dict[str, Any]]:
    return [{**item, **changes} if i == index else item for i, item in enumerate(items)]


BROKEN = {
    "booking-not-terminal": lambda s: replace(
        s, bookings=[*s.bookings, booking("b4", "UNCONFIRMED", flight="SA999")]
    ),
    "seats taken": lambda s: replace(s, flights=with_item(s.flights, 0, seatsAvailable=Decimal(7))),
    "seats below 0": lambda s: replace(
        s, flights=[*s.flights, {"id": "SA102", "seatCapacity": Decimal(2), "seatsAvailable": Decimal(-1)}]
    ),
    "seats above capacity": lambda s: replace(
        s, flights=[*s.flights, {"id": "SA102", "seatCapacity": Decimal(2), "seatsAvailable": Decimal(3)}]
    ),
    "stray-charge": lambda s: replace(s, charges=with_item(s.charges, 2, status="CAPTURED")),
    "loyalty total": lambda s: replace(s, loyalty=with_item(s.loyalty, 0, points=Decimal(26_000))),
    "loyalty credited twice as much": lambda s: replace(
        s,
        loyalty=[
            {"customerId": ALICE, "sk": "TOTAL", "points": Decimal(25_900)},
            {"customerId": ALICE, "sk": "BOOKING#b1", "points": Decimal(25_800)},
            s.loyalty[2],
        ],
    ),
    "loyalty for a cancelled booking": lambda s: replace(
        s,
        loyalty=[
            *s.loyalty,
            {"customerId": BOB, "sk": "TOTAL", "points": Decimal(12_900)},
            {"customerId": BOB, "sk": "BOOKING#b3", "points": Decimal(12_900)},
        ],
    ),
    "loyalty never credited": lambda s: replace(
        s, loyalty=[{"customerId": ALICE, "sk": "TOTAL", "points": Decimal(12_900)}, s.loyalty[1]]
    ),
    "execution-running": lambda s: replace(s, executions={**s.executions, "b5": "RUNNING"}),
}

EXPECTED = {
    "booking-not-terminal": "booking-not-terminal: booking b4 is UNCONFIRMED though its execution ended",
    "seats taken": "seats: flight SA101 has 3 seats taken but 2 confirmed bookings",
    "seats below 0": "seats: flight SA102 has -1 seats available of 2",
    "seats above capacity": "seats: flight SA102 has 3 seats available of 2",
    "stray-charge": "stray-charge: charge ch3 of booking b3 is captured but the booking is CANCELLED",
    "loyalty total": "loyalty: customer c-alice has 26000 points, their confirmed bookings earn 13000",
    "loyalty credited twice as much": "loyalty: booking b1 was credited 25800 points, it earns 12900",
    "loyalty for a cancelled booking": "loyalty: customer c-bob was credited for booking b3, not a confirmed",
    "loyalty never credited": "loyalty: confirmed booking b2 of customer c-alice was never credited",
    "execution-running": "execution-running: execution b5 is still RUNNING",
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_each_broken_rule_is_named_in_the_failure(broken: str) -> None:
    snapshot = BROKEN[broken](consistent())
    if broken == "booking-not-terminal":
        snapshot = replace(snapshot, executions={**snapshot.executions, "b4": "FAILED"})

    with pytest.raises(AssertionError) as failure:
        assert_consistent(snapshot)

    assert EXPECTED[broken] in str(failure.value)


def test_a_booking_whose_execution_still_runs_is_not_yet_expected_to_be_terminal() -> None:
    snapshot = replace(
        consistent(),
        bookings=[*consistent().bookings, booking("b4", "UNCONFIRMED", flight="SA999")],
        executions={**consistent().executions, "b4": "RUNNING"},
    )

    assert [v for v in violations(snapshot) if v.startswith("booking-not-terminal")] == []
