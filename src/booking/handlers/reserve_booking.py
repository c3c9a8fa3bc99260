"""ReserveBooking: invoked by the booking saga after a seat is held."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from booking.dependencies import booking_repository
from booking.models import ReserveBookingRequest
from booking.service import reserve_booking
from common.clock import utc_now
from common.events import parse_event
from common.observability import count, instrumented, logger


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(ReserveBookingRequest, event)
    logger.append_keys(booking_id=request.booking_id, customer_id=request.customer_id)
    result = reserve_booking(request, booking_repository(), utc_now())
    logger.info("booking reserved", extra={"flight_id": request.flight_id})
    count("BookingReserved")
    return result.to_event()
