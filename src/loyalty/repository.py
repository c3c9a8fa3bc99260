"""The loyalty service's data access: an idempotent ledger with a running total per customer.

Items: ``(customerId, "BOOKING#<bookingId>")`` records that a booking was credited, and with how many
points; ``(customerId, "TOTAL")`` holds the customer's points. Both are written in one transaction, so a
booking is counted exactly once, the total never passes the cap (loyalty.rules.POINTS_CAP), and reading
a customer's points is one GetItem.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from common.dynamodb import from_item, to_item
from loyalty.rules import POINTS_CAP, creditable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TOTAL_KEY = "TOTAL"


def booking_key(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


class LoyaltyLedger:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def credit(self, customer_id: str, booking_id: str, points: int, now: datetime) -> int | None:
        """Credit a booking's points, never taking the customer's total past the cap.

        One transaction: the booking's entry (conditional: not credited before) and an ADD on the total,
        conditional on the total leaving room for all the points. If it does not, the total the
        condition saw comes back with the failure, and the points that fit are credited on condition
        that the total is still that one. Returns the points credited; None (and nothing written) if
        the booking was already credited. A total that moved in between raises: the notice is retried.
        """
        try:
            self._transact(
                customer_id,
                booking_id,
                points,
                now,
                total_condition="attribute_not_exists(points) OR points <= :highest",
                total_values={":highest": POINTS_CAP - points},
            )
            return points
        except ClientError as error:
            if _already_credited(error):
                return None
            total = _total_refused(error)
            if total is None:
                raise
        fitting = creditable(points, total)
        try:
            self._transact(
                customer_id,
                booking_id,
                fitting,
                now,
                total_condition="points = :total",
                total_values={":total": total},
            )
        except ClientError as error:
            if _already_credited(error):
                return None
            raise
        return fitting

    def _transact(
        self,
        customer_id: str,
        booking_id: str,
        points: int,
        now: datetime,
        *,
        total_condition: str,
        total_values: dict[str, int],
    ) -> None:
        """The booking's entry and the ADD on the total, the total's condition given by the caller."""
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "customerId": customer_id,
                                "sk": booking_key(booking_id),
                                "points": points,
                                "creditedAt": now.isoformat(),
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"customerId": customer_id, "sk": TOTAL_KEY}),
                        "UpdateExpression": "ADD points :points SET updatedAt = :now",
                        "ConditionExpression": total_condition,
                        "ExpressionAttributeValues": to_item(
                            {":points": points, ":now": now.isoformat(), **total_values}
                        ),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )

    def points_of(self, customer_id: str) -> int:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"customerId": customer_id, "sk": TOTAL_KEY}),
            ProjectionExpression="points",
        )
        item = response.get("Item")
        return int(from_item(item)["points"]) if item else 0


def _reasons(error: ClientError) -> list[Any]:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return list(error.response.get("CancellationReasons", []))


def _already_credited(error: ClientError) -> bool:
    reasons = _reasons(error)
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


def _total_refused(error: ClientError) -> int | None:
    """The customer's total, when the transaction failed only because it leaves too little room."""
    reasons = _reasons(error)
    if len(reasons) < 2 or reasons[1].get("Code") != "ConditionalCheckFailed":
        return None
    item = reasons[1].get("Item")
    return int(from_item(item).get("points", 0)) if item else 0
