"""The simulated processor's data access: its charge ledger in the payment table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from common.dynamodb import from_item, is_conditional_check_failure, old_item_of, put_if_absent, to_item
from payment.models import Charge, ChargeStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class ChargeLedger:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, charge: Charge) -> Charge | None:
        """Record a booking's charge. Returns the charge already recorded for that booking, if any."""
        existing = put_if_absent(
            self._client,
            self._table,
            charge.model_dump(mode="json", by_alias=True),
            key_attribute="bookingId",
        )
        return None if existing is None else Charge.model_validate(existing)

    def mark_refunded(self, booking_id: str, now: datetime) -> Charge | None:
        """Refund a CAPTURED charge. Returns the booking's charge as it now stands: REFUNDED (by this call
        or an earlier one) or left as it was (DECLINED); None if the booking has no charge."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item({"bookingId": booking_id}),
                UpdateExpression="SET #status = :refunded, refundedAt = :now",
                ConditionExpression="#status = :captured",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":refunded": ChargeStatus.REFUNDED.value,
                        ":captured": ChargeStatus.CAPTURED.value,
                        ":now": now.isoformat(),
                    }
                ),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            existing = old_item_of(error)
            return None if existing is None else Charge.model_validate(existing)
        return Charge.model_validate(from_item(response["Attributes"]))
