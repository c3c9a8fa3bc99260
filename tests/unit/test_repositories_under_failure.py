"""What each repository does when DynamoDB fails in a way that is not "already done".

The component tests drive the repositories' happy and idempotent paths against moto; moto cannot
throttle, nor cancel a transaction for the reasons DynamoDB gives under contention. Here a stubbed
client answers with those failures, and each repository must tell them apart: a throttle or a
conflict is raised (so the step or the notice is retried), never mistaken for a duplicate that
changed nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from booking.models import CancellationReason
from booking.repository import BookingRepository
from common.dynamodb import to_item
from loyalty.repository import LoyaltyLedger
from loyalty.rules import POINTS_CAP
from payment.errors import PaymentMethodNotRegisteredError
from payment.models import Payment, PaymentStatus
from payment.repository import PaymentLedger
from tests.support.stack import REGION

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
THROTTLED = "ProvisionedThroughputExceededException"
BOOKING_ID = "6f1c2a52-9a8e-4c59-8d0b-3f7f6c1e2d4a"


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "dynamodb", region_name=REGION, aws_access_key_id="unused", aws_secret_access_key="unused"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def cancelled_transaction(*reasons: dict[str, Any]) -> dict[str, Any]:
    return {"CancellationReasons": list(reasons)}


NONE = {"Code": "None"}
CONDITION_FAILED = {"Code": "ConditionalCheckFailed"}


def total_was(points: int) -> dict[str, Any]:
    return {"Code": "ConditionalCheckFailed", "Item": to_item({"points": points})}


def refused_for_the_cap(stub: Stubber) -> None:
    """The first transaction fails: the customer's total leaves room for only 30 more points."""
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields=cancelled_transaction(NONE, total_was(POINTS_CAP - 30)),
    )


# The booking table.


@pytest.mark.parametrize(
    ("step", "arguments"),
    [("confirm", ("booking-1", "REF123", NOW)), ("cancel", ("booking-1", CancellationReason.SOLD_OUT, NOW))],
)
def test_a_throttled_booking_update_is_raised_not_read_as_a_missing_booking(
    dynamodb: tuple[Any, Stubber], step: str, arguments: tuple[Any, ...]
) -> None:
    client, stub = dynamodb
    stub.add_client_error("update_item", service_error_code=THROTTLED)

    with pytest.raises(ClientError, match=THROTTLED):
        getattr(BookingRepository(client, "bookings"), step)(*arguments)


# The payment table.


def captured(booking_id: str) -> Payment:
    return Payment.model_validate(
        {
            "bookingId": booking_id,
            "amount": 12900,
            "currency": "EUR",
            "status": PaymentStatus.CAPTURED.value,
            "registeredAt": NOW.isoformat(),
            "chargeId": "ch_1",
            "chargedAt": NOW.isoformat(),
        }
    )


def test_a_throttled_settlement_is_raised(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    stub.add_client_error("update_item", service_error_code=THROTTLED)

    with pytest.raises(ClientError, match=THROTTLED):
        PaymentLedger(client, "payments").settle(captured(BOOKING_ID))


def test_settling_a_payment_nobody_registered_is_refused_by_name(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    # The condition failed and DynamoDB returned no old item: there is no payment under that booking.
    stub.add_client_error("update_item", service_error_code="ConditionalCheckFailedException")

    with pytest.raises(PaymentMethodNotRegisteredError, match=BOOKING_ID):
        PaymentLedger(client, "payments").settle(captured(BOOKING_ID))


def test_a_settlement_an_earlier_attempt_made_is_returned_as_it_stands(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    earlier = captured(BOOKING_ID)
    stub.add_client_error(
        "update_item",
        service_error_code="ConditionalCheckFailedException",
        modeled_fields={"Item": to_item(earlier.model_dump(mode="json", by_alias=True, exclude_none=True))},
    )
    retry = earlier.model_copy(update={"charge_id": "ch_2"})

    assert PaymentLedger(client, "payments").settle(retry) == earlier


@pytest.mark.parametrize("step", ["mark_refunded", "void"])
def test_a_throttled_refund_or_void_is_raised_not_read_as_nothing_to_do(
    dynamodb: tuple[Any, Stubber], step: str
) -> None:
    client, stub = dynamodb
    ledger = PaymentLedger(client, "payments")
    stub.add_client_error("update_item", service_error_code=THROTTLED)

    with pytest.raises(ClientError, match=THROTTLED):
        getattr(ledger, step)("booking-1", NOW)


# The loyalty table: one transaction per credit, a second one when the cap leaves room for only some.


def test_a_throttled_credit_is_raised_not_read_as_already_credited(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    stub.add_client_error("transact_write_items", service_error_code=THROTTLED)

    with pytest.raises(ClientError, match=THROTTLED):
        LoyaltyLedger(client, "loyalty").credit("customer-1", "booking-1", 100, NOW)


def test_a_transaction_conflict_is_raised_so_the_notice_is_retried(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    # Cancelled because another transaction touched the total at the same moment, not by a condition.
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields=cancelled_transaction(NONE, {"Code": "TransactionConflict"}),
    )

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        LoyaltyLedger(client, "loyalty").credit("customer-1", "booking-1", 100, NOW)


def test_near_the_cap_only_the_points_that_fit_are_credited(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    ledger = LoyaltyLedger(client, "loyalty")
    refused_for_the_cap(stub)
    stub.add_response("transact_write_items", {})

    credited = ledger.credit("customer-1", "booking-1", 100, NOW)

    assert credited == 30


def test_a_duplicate_that_lands_between_the_two_transactions_is_credited_once(
    dynamodb: tuple[Any, Stubber],
) -> None:
    client, stub = dynamodb
    refused_for_the_cap(stub)
    # The retry with the points that fit finds the booking credited by a concurrent delivery.
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields=cancelled_transaction(CONDITION_FAILED, NONE),
    )

    assert LoyaltyLedger(client, "loyalty").credit("customer-1", "booking-1", 100, NOW) is None


def test_a_total_that_moved_between_the_two_transactions_is_raised(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    refused_for_the_cap(stub)
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields=cancelled_transaction(NONE, total_was(POINTS_CAP - 10)),
    )

    with pytest.raises(ClientError, match="TransactionCanceledException"):
        LoyaltyLedger(client, "loyalty").credit("customer-1", "booking-1", 100, NOW)


def test_a_customer_with_no_total_has_no_points(dynamodb: tuple[Any, Stubber]) -> None:
    client, stub = dynamodb
    stub.add_response("get_item", {})

    assert LoyaltyLedger(client, "loyalty").points_of("customer-1") == 0
