"""IngestLoyalty: credits confirmed bookings from the loyalty queue.

Powertools' BatchProcessor parses each record with :class:`LoyaltyQueueRecord` and reports partial
batch failures: a message that cannot be parsed or credited is retried on its own and, after the
queue's maxReceiveCount, moves to the dead-letter queue; the rest of its batch is not redelivered.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    ExceptionInfo,
    FailureResponse,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Json, ValidationError

from common.clock import utc_now
from common.events import describe_validation_error
from common.observability import count, instrumented, logger
from loyalty.dependencies import booking_topic_arn, loyalty_ledger
from loyalty.models import TopicDelivery
from loyalty.rules import trusted_notice
from loyalty.service import CreditOutcome, credit_booking

OUTCOME_METRIC = {
    CreditOutcome.CREDITED: "NoticeCredited",
    CreditOutcome.CAPPED: "NoticeCappedCredit",
    CreditOutcome.ALREADY_CREDITED: "NoticeAlreadyCredited",
    CreditOutcome.NOTHING_EARNED: "NoticeNothingEarned",
}


class LoyaltyQueueRecord(SqsRecordModel):
    """A record of the loyalty queue: the SNS envelope the booking topic delivers (it names the topic
    and carries the message attributes), around the booking notice. Built when the first record is
    parsed, not when the handler is imported."""

    model_config = ConfigDict(defer_build=True)

    body: Json[TopicDelivery]


class NoticeBatchProcessor(BatchProcessor):
    """Powertools' processor, with a log line and a metric for each notice it reports as failed."""

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        error = exception[1]
        # A validation error's own text quotes the message; the log names the fields only.
        reason = (
            describe_validation_error(error)
            if isinstance(error, ValidationError)
            else f"{type(error).__name__}: {error}"
        )
        logger.warning("booking notice rejected", extra={"message_id": _message_id(record), "reason": reason})
        count("NoticeRejected")
        return super().failure_handler(record, exception)


def _message_id(record: LoyaltyQueueRecord | SQSRecord | None) -> str | None:
    """A record that failed to parse reaches the failure handler as Powertools' SQSRecord."""
    if isinstance(record, LoyaltyQueueRecord):
        return record.messageId
    return record.message_id if record is not None else None


processor = NoticeBatchProcessor(event_type=EventType.SQS, model=LoyaltyQueueRecord)


def credit_notice(record: LoyaltyQueueRecord) -> CreditOutcome:
    # An untrusted notice raises: the processor reports it as failed, and it ends in the dead-letter queue.
    notice = trusted_notice(record.body, booking_topic_arn())
    with logger.append_context_keys(booking_id=notice.booking_id, customer_id=notice.customer_id):
        outcome = credit_booking(notice, loyalty_ledger(), utc_now())
        logger.info("booking notice processed", extra={"outcome": outcome})
    count(OUTCOME_METRIC[outcome])
    return outcome


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=credit_notice, processor=processor, context=context
    )
