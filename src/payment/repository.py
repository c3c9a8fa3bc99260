"""The simulated processor's data access: the booking payments in the payment table.

processBooking's resolver registers each payment (``attribute_not_exists(bookingId)``); the steps
here only ever update an item whose status says the step applies, so every step is idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from common.dynamodb import from_item, is_conditional_check_failure, old_item_of, to_item
from payment.errors import PaymentMethodNotRegisteredError
from payment.models import Payment, PaymentStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_ATTRIBUTES = [field.alias or name for name, field in Payment.model_fields.items()]
"""Every attribute of a payment, read by name: the steps' grants allow these attributes only."""


def _payment_of(item: dict[str, Any]) -> Payment:
    """The payment in an item a write returned whole. The item also holds what is not the payment's:
    processBooking's request fingerprint, which tells a repeated request from another purchase."""
    return Payment.model_validate({name: value for name, value in item.items() if name in _ATTRIBUTES})


class PaymentLedger:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, booking_id: str) -> Payment | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"bookingId": booking_id}),
            ConsistentRead=True,
            ProjectionExpression=", ".join(f"#a{index}" for index in range(len(_ATTRIBUTES))),
            ExpressionAttributeNames={f"#a{index}": name for index, name in enumerate(_ATTRIBUTES)},
        )
        item = response.get("Item")
        return Payment.model_validate(from_item(item)) if item else None

    def settle(self, outcome: Payment) -> Payment:
        """Record the outcome of charging a REGISTERED payment and erase its token and expiry, in one
        conditional write. Returns ``outcome``, or the payment an earlier attempt settled."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"bookingId": outcome.booking_id}),
                UpdateExpression=(
                    "SET #status = :status, chargeId = :chargeId, chargedAt = :chargedAt"
                    + (", declineCode = :declineCode" if outcome.decline_code else "")
                    + " REMOVE paymentMethod, expiresAt"
                ),
                ConditionExpression="#status = :registered",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":status": outcome.status.value,
                        ":chargeId": outcome.charge_id,
                        ":chargedAt": outcome.charged_at.isoformat() if outcome.charged_at else None,
                        ":declineCode": outcome.decline_code,
                        ":registered": PaymentStatus.REGISTERED.value,
                    }
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            existing = old_item_of(error)
            if existing is None:
                raise PaymentMethodNotRegisteredError(
                    f"no payment method is registered for booking {outcome.booking_id}"
                ) from None
            return _payment_of(existing)
        return outcome

    def mark_refunded(self, booking_id: str, now: datetime) -> Payment | None:
        """Refund a CAPTURED payment. Returns the booking's payment as it now stands: REFUNDED (by this
        call or an earlier one) or left as it was; None if the booking has no payment."""
        return self._transition(booking_id, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED, "refundedAt", now)

    def void(self, booking_id: str, now: datetime) -> Payment | None:
        """Void a REGISTERED payment, erasing its token and expiry. Returns the booking's payment as it
        now stands: VOIDED (by this call or an earlier one) or left as it was; None if there is none."""
        return self._transition(
            booking_id, PaymentStatus.REGISTERED, PaymentStatus.VOIDED, "voidedAt", now, erase_token=True
        )

    def _transition(
        self,
        booking_id: str,
        source: PaymentStatus,
        target: PaymentStatus,
        timestamp: str,
        now: datetime,
        *,
        erase_token: bool = False,
    ) -> Payment | None:
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item({"bookingId": booking_id}),
            "UpdateExpression": f"SET #status = :target, {timestamp} = :now"
            + (" REMOVE paymentMethod, expiresAt" if erase_token else ""),
            "ConditionExpression": "#status = :source",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_item(
                {":target": target.value, ":source": source.value, ":now": now.isoformat()}
            ),
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            response = self._client.update_item(**update)
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            existing = old_item_of(error)
            return None if existing is None else _payment_of(existing)
        return _payment_of(from_item(response["Attributes"]))
