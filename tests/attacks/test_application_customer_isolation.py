"""Customer A against customer B, on every query that reads customer data: A learns nothing of B's
bookings or points, and only the Admin group reads another customer's loyalty. Nothing A does changes
what B has."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.local_cloud import BOOKING_QUERY, LOYALTY_QUERY, Customer, GraphQLError, LocalCloud
from tests.support.local_stack import gql, item, new_customer, put_item

pytestmark = pytest.mark.local_cloud

OTHERS_LOYALTY = "query($c: ID) { getLoyalty(customerId: $c) { points level remainingPoints } }"
LIST_BOOKINGS = "query($n: String) { listBookings(limit: 100, nextToken: $n) { items { id } nextToken } }"


@pytest.fixture(scope="module")
def victim(cloud: LocalCloud) -> tuple[Customer, str]:
    """Customer B, with a confirmed booking and 12,900 points."""
    customer = new_customer(cloud)
    booking_id = str(uuid.uuid4())
    put_item(
        cloud,
        "BookingTable",
        {
            "id": booking_id,
            "customerId": customer.sub,
            "flightId": "SA101-2030-01-08",
            "status": "CONFIRMED",
            "amount": 12900,
            "currency": "EUR",
            "createdAt": "2030-01-01T10:00:00+00:00",
            "bookingReference": "ABC123",
        },
    )
    put_item(cloud, "LoyaltyTable", {"customerId": customer.sub, "sk": "TOTAL", "points": 12900})
    return customer, booking_id


def victims_data(cloud: LocalCloud, victim: tuple[Customer, str]) -> tuple[Any, Any]:
    customer, booking_id = victim
    return (
        item(cloud, "BookingTable", {"id": booking_id}),
        item(cloud, "LoyaltyTable", {"customerId": customer.sub, "sk": "TOTAL"}),
    )


def test_a_customer_cannot_read_anothers_booking_by_its_id(
    cloud: LocalCloud, victim: tuple[Customer, str]
) -> None:
    before = victims_data(cloud, victim)
    attacker = new_customer(cloud)

    assert gql(cloud, attacker, BOOKING_QUERY, {"id": victim[1]})["getBooking"] is None
    # The same answer as for a booking that does not exist: nothing says the id is taken.
    assert gql(cloud, attacker, BOOKING_QUERY, {"id": str(uuid.uuid4())})["getBooking"] is None
    assert victims_data(cloud, victim) == before


def test_a_customer_cannot_list_anothers_bookings(cloud: LocalCloud, victim: tuple[Customer, str]) -> None:
    attacker = new_customer(cloud)

    listed = gql(cloud, attacker, LIST_BOOKINGS)["listBookings"]

    assert listed == {"items": [], "nextToken": None}
    with pytest.raises(GraphQLError):
        # A page token is the caller's own: one made up (or taken from another customer) is refused.
        gql(cloud, attacker, LIST_BOOKINGS, {"n": "eyJpZCI6IHsiUyI6ICJ4In19"})


def test_a_customer_cannot_read_anothers_points(cloud: LocalCloud, victim: tuple[Customer, str]) -> None:
    before = victims_data(cloud, victim)
    attacker = new_customer(cloud)

    with pytest.raises(GraphQLError, match="Unauthorized"):
        gql(cloud, attacker, OTHERS_LOYALTY, {"c": victim[0].sub})

    assert gql(cloud, attacker, LOYALTY_QUERY)["getLoyalty"]["points"] == 0
    assert gql(cloud, attacker, OTHERS_LOYALTY, {"c": attacker.sub})["getLoyalty"]["points"] == 0
    assert victims_data(cloud, victim) == before


def test_a_customer_cannot_reach_another_route_through_the_customer_id(
    cloud: LocalCloud, victim: tuple[Customer, str]
) -> None:
    staff = new_customer(cloud, admin=True)

    for trick in (f"{victim[0].sub}/../{victim[0].sub}", "../loyalty", f"{victim[0].sub}%2Fget"):
        with pytest.raises(GraphQLError, match="BadRequest"):
            gql(cloud, staff, OTHERS_LOYALTY, {"c": trick})


def test_only_the_admin_group_reads_anothers_points(cloud: LocalCloud, victim: tuple[Customer, str]) -> None:
    before = victims_data(cloud, victim)
    staff = new_customer(cloud, admin=True)

    read = gql(cloud, staff, OTHERS_LOYALTY, {"c": victim[0].sub})["getLoyalty"]

    assert read == {"points": 12900, "level": "bronze", "remainingPoints": 50000 - 12900}
    assert victims_data(cloud, victim) == before
