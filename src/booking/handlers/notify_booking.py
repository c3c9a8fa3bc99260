"""NotifyBooking: publishes a booking's outcome to the booking topic."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.dependencies import booking_notifier
from booking.models import BookingNotification, BookingStatus
from booking.service import notify_booking
from common.events import parse_event
from common.observability import count, instrumented, logger

PUBLISHED_METRIC = {
    BookingStatus.CONFIRMED: "BookingConfirmedNotified",
    BookingStatus.CANCELLED: "BookingCancelledNotified",
}


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    notification = parse_event(BookingNotification, event)
    logger.append_keys(booking_id=notification.booking_id, customer_id=notification.customer_id)
    message_id = notify_booking(notification, booking_notifier())
    logger.info("booking notice published", extra={"status": notification.status, "message_id": message_id})
    count(PUBLISHED_METRIC[notification.status])
    return {"messageId": message_id}
