"""The loyalty service's data access: an idempotent ledger with a running total per customer.

Items: ``(customerId, "BOOKING#<bookingId>")`` records that a booking was credited;
``(customerId, "TOTAL")`` holds the customer's points. Both are written in one transaction, so a
booking is counted exactly once and reading a customer's points is one GetItem.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from common.dynamodb import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TOTAL_KEY = "TOTAL"


def booking_key(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


class LoyaltyLedger:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def credit(self, customer_id: str, booking_id: str, points: int, now: datetime) -> bool:
        """Credit a booking's points. False (and nothing written) if this booking was already credited."""
        try:
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
                            "ExpressionAttributeValues": to_item(
                                {":points": points, ":now": now.isoformat()}
                            ),
                        }
                    },
                ]
            )
        except ClientError as error:
            if _already_credited(error):
                return False
            raise
        return True

    def points_of(self, customer_id: str) -> int:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"customerId": customer_id, "sk": TOTAL_KEY}),
            ProjectionExpression="points",
        )
        item = response.get("Item")
        return int(from_item(item)["points"]) if item else 0


def _already_credited(error: ClientError) -> bool:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons", [])
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"
