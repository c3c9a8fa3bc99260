"""CancelBooking: compensation step of the booking saga."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.dependencies import booking_repository
from booking.models import BookingRequest
from booking.service import cancel_booking
from common.events import parse_event
from common.observability import count, instrumented, utc_now


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(BookingRequest, event)
    result = cancel_booking(request.booking_id, booking_repository(), utc_now())
    count("BookingCancelled")
    return result.to_event()
