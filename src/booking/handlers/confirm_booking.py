"""ConfirmBooking: invoked by the booking saga once the payment is captured."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.dependencies import booking_repository
from booking.models import BookingRequest
from booking.service import confirm_booking
from common.clock import utc_now
from common.events import parse_event
from common.observability import count, instrumented, logger


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(BookingRequest, event)
    logger.append_keys(booking_id=request.booking_id)
    result = confirm_booking(request.booking_id, booking_repository(), utc_now())
    logger.info("booking confirmed", extra={"booking_reference": result.booking_reference})
    count("BookingConfirmed")
    return result.to_event()
