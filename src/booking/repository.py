"""The booking service's data access: the booking table and the booking topic."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from booking.models import Booking, BookingNotification, BookingStatus, CancellationReason
from common.dynamodb import from_item, is_conditional_check_failure, put_if_absent, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient


class BookingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, booking: Booking) -> Booking | None:
        """Store a new booking. Returns the booking already stored under that id, if any, unchanged."""
        existing = put_if_absent(
            self._client, self._table, booking.model_dump(mode="json", by_alias=True), key_attribute="id"
        )
        return None if existing is None else Booking.model_validate(existing)

    def confirm(self, booking_id: str, reference: str, now: datetime) -> Booking | None:
        """Mark UNCONFIRMED (or already CONFIRMED) bookings CONFIRMED. None if missing or cancelled."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item({"id": booking_id}),
                UpdateExpression=(
                    "SET #status = :confirmed, bookingReference = :reference, "
                    "confirmedAt = if_not_exists(confirmedAt, :now)"
                ),
                ConditionExpression="#status IN (:unconfirmed, :confirmed)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":confirmed": BookingStatus.CONFIRMED.value,
                        ":unconfirmed": BookingStatus.UNCONFIRMED.value,
                        ":reference": reference,
                        ":now": now.isoformat(),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return None
            raise
        return Booking.model_validate(from_item(response["Attributes"]))

    def cancel(self, booking_id: str, reason: CancellationReason, now: datetime) -> Booking | None:
        """Mark an existing booking CANCELLED for ``reason`` (idempotent: a retry keeps the first time and
        reason). None if there is no such booking."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item({"id": booking_id}),
                UpdateExpression=(
                    "SET #status = :cancelled, cancelledAt = if_not_exists(cancelledAt, :now),"
                    " cancellationReason = if_not_exists(cancellationReason, :reason)"
                ),
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":cancelled": BookingStatus.CANCELLED.value,
                        ":now": now.isoformat(),
                        ":reason": reason.value,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return None
            raise
        return Booking.model_validate(from_item(response["Attributes"]))


class BookingNotifier:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, notification: BookingNotification) -> str:
        """Publish with a ``bookingStatus`` attribute: subscriptions filter on it."""
        response = self._client.publish(
            TopicArn=self._topic_arn,
            Message=json.dumps(notification.to_event()),
            MessageAttributes={
                "bookingStatus": {"DataType": "String", "StringValue": notification.status.value}
            },
        )
        return response["MessageId"]
