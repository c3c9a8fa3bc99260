"""When compensation itself fails, the execution's state is parked in the booking dead-letter queue.

CancelBooking is broken on purpose by changing its configuration (the table name it is given), so it
fails before calling AWS; the state machine's role then sends the state to the dead-letter queue.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from tests.support.local_cloud import LocalCloud
from tests.support.local_stack import break_function, finished_execution
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud


def test_a_failed_compensation_reaches_the_dead_letter_queue(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    outputs = cloud.stack.outputs
    flight = sample_flights(datetime.now(UTC).date())[0]
    seed(cloud.client("dynamodb"), outputs["FlightTableName"], [flight])
    break_function(cloud, "CancelBookingFunction", "BOOKING_TABLE_NAME")
    booking_id = str(uuid.uuid4())
    sfn = cloud.client("stepfunctions")

    execution = sfn.start_execution(
        stateMachineArn=outputs["BookingStateMachineArn"],
        name=booking_id,
        input=json.dumps(
            {
                "bookingId": booking_id,
                "customerId": str(uuid.uuid4()),
                "flightId": flight.id,
                "paymentToken": "tok_chargeDeclined",
            }
        ),
    )["executionArn"]
    ended = finished_execution(cloud, execution)

    assert ended["status"] == "FAILED"
    assert ended["error"] == "BookingNeedsAttention"
    queue_url = outputs["BookingDeadLetterQueueUrl"].replace(
        "https://sqs.eu-west-1.amazonaws.com", cloud.endpoints.aws
    )
    [message] = cloud.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    parked = json.loads(message["Body"])
    assert parked["state"]["bookingId"] == booking_id
    assert parked["state"]["compensationError"]["Error"] == "ConfigurationError"
