"""IngestLoyalty: credits confirmed bookings from the loyalty queue.

Reports partial batch failures: a message that cannot be processed is retried on its own and, after
the queue's maxReceiveCount, moves to the dead-letter queue; the rest of its batch is not redelivered.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.events import parse_event
from common.observability import count, instrumented, logger, utc_now
from loyalty.dependencies import loyalty_ledger
from loyalty.models import ConfirmedBooking
from loyalty.service import credit_booking

processor = BatchProcessor(event_type=EventType.SQS)


def credit_record(record: SQSRecord) -> None:
    booking = parse_event(ConfirmedBooking, record.json_body)
    if credit_booking(booking, loyalty_ledger(), utc_now()):
        count("PointsCredited")
    else:
        logger.info("booking already credited", extra={"bookingId": booking.booking_id})
        count("DuplicateBookingIgnored")


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=credit_record, processor=processor, context=context
    )
