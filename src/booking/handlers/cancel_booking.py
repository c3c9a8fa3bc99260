"""CancelBooking: compensation step of the booking saga."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.dependencies import booking_repository
from booking.models import CancelBookingRequest, CancellationStatus
from booking.service import cancel_booking
from common.clock import utc_now
from common.events import parse_event
from common.observability import count, instrumented, logger


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(CancelBookingRequest, event)
    logger.append_keys(booking_id=request.booking_id)
    result = cancel_booking(request.booking_id, request.error, booking_repository(), utc_now())
    if result.status is CancellationStatus.CANCELLED:
        logger.info("booking cancelled")
        count("BookingCancelled")
    else:
        logger.info("no booking to cancel: the saga failed before creating it")
    return result.to_event()
