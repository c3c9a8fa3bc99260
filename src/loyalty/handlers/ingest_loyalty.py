"""IngestLoyalty: credits confirmed bookings from the loyalty queue.

Reports partial batch failures: a message that cannot be processed is retried on its own and, after
the queue's maxReceiveCount, moves to the dead-letter queue; the rest of its batch is not redelivered.
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.events import InvalidRequestError, parse_event
from common.observability import count, instrumented, logger, utc_now
from loyalty.dependencies import booking_topic_arn, loyalty_ledger
from loyalty.models import TopicDelivery
from loyalty.rules import trusted_notice
from loyalty.service import credit_booking

processor = BatchProcessor(event_type=EventType.SQS)


def credit_record(record: SQSRecord) -> None:
    notice = trusted_notice(parse_event(TopicDelivery, _json_body(record)), booking_topic_arn())
    outcome = credit_booking(notice, loyalty_ledger(), utc_now())
    logger.info("booking notice processed", extra={"bookingId": notice.booking_id, "outcome": outcome})
    count(f"Notice{outcome.value.title().replace('_', '')}")


def _json_body(record: SQSRecord) -> object:
    try:
        return json.loads(record.body)
    except json.JSONDecodeError as error:
        raise InvalidRequestError(f"message body is not JSON: {error}") from None


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=credit_record, processor=processor, context=context
    )
