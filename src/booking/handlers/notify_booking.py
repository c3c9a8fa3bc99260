"""NotifyBooking: publishes a booking's outcome to the booking topic."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.dependencies import booking_notifier
from booking.models import BookingNotification
from booking.service import notify_booking
from common.events import parse_event
from common.observability import count, instrumented


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    notification = parse_event(BookingNotification, event)
    message_id = notify_booking(notification, booking_notifier())
    count(f"Booking{notification.status.value.title()}Notified")
    return {"messageId": message_id}
