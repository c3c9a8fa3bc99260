"""The local cloud evaluates the stack's alarms, and an operator's redrive settles what they report.

A booking whose compensation fails is parked in the booking dead-letter queue: the next evaluation
puts `booking-needs-attention` (and the failing function's alarm) in ALARM, and CloudWatch's notice
reaches an operator subscribed to the alarm topic - published as cloudwatch.amazonaws.com and admitted
by the topic's policy, which refuses everyone else (tests/attacks/test_alarms.py). Once the cause is
fixed, `ops.redrive` settles the booking (the compensation again), deletes the message, and a second
run changes nothing; the alarm clears and says so. Bookings failing for three periods in a row fire
`bookings-failing`. Each evaluation is one period of every alarm, started by the test."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from ops.redrive import LocalCloudStack, Redrive
from tests.support.invariants import assert_system_consistent
from tests.support.local_cloud import ACCOUNT_ID, STACK_NAME, LocalCloud
from tests.support.local_stack import (
    break_function,
    finished_execution,
    queue_subscribed_to,
    set_function_variable,
)
from tests.support.template import sample_flights, seed

pytestmark = pytest.mark.local_cloud

INBOX = "operators-inbox"


def _inbox(cloud: LocalCloud) -> str:
    """A queue of the operators, subscribed to the alarm topic, admitting only that topic's deliveries."""
    assert cloud.stack is not None
    return queue_subscribed_to(cloud, cloud.stack.outputs["AlarmTopicArn"], INBOX, raw_delivery=True)


def _notices(cloud: LocalCloud, inbox: str) -> list[dict[str, Any]]:
    sqs = cloud.client("sqs")
    notices = []
    while received := sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", []):
        for message in received:
            notices.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
    return notices


def _state(cloud: LocalCloud, alarm: str) -> str:
    [found] = cloud.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    return str(found["StateValue"])


def test_a_parked_booking_alarms_the_operators_until_the_redrive_settles_it(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    outputs = cloud.stack.outputs
    stack_name = STACK_NAME
    needs_attention = f"{stack_name}-booking-needs-attention"
    inbox = _inbox(cloud)
    cloud.alarms.evaluate_now()  # every alarm leaves INSUFFICIENT_DATA: nothing has happened yet
    assert _state(cloud, needs_attention) == "OK"
    _notices(cloud, inbox)

    flight = sample_flights(datetime.now(UTC).date())[0]
    seed(cloud.client("dynamodb"), outputs["FlightTableName"], [flight])
    break_function(
        cloud, "CancelBookingFunction", "BOOKING_TABLE_NAME"
    )  # CancelBooking now fails: the compensation is parked
    booking_id = str(uuid.uuid4())
    execution = cloud.client("stepfunctions").start_execution(
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
    assert finished_execution(cloud, execution)["error"] == "BookingNeedsAttention"

    fired = {(t.alarm_name, t.new.value) for t in cloud.alarms.evaluate_now()}

    assert (needs_attention, "ALARM") in fired
    assert (f"{stack_name}-CancelBooking-errors", "ALARM") in fired
    notice = next(n for n in _notices(cloud, inbox) if n["AlarmName"] == needs_attention)
    assert (notice["OldStateValue"], notice["NewStateValue"]) == ("OK", "ALARM")
    assert notice["Trigger"]["Dimensions"] == [
        {"name": "QueueName", "value": cloud.stack.physical_id("BookingDeadLetterQueue").rsplit("/", 1)[-1]}
    ]
    assert all(n.delivered for n in cloud.alarms.notifications)

    redrive = Redrive(cloud.client, LocalCloudStack(stack_name, cloud.endpoints.aws, ACCOUNT_ID))
    [too_early] = redrive.run(dry_run=False, out=io.StringIO())  # the cause is not fixed yet
    assert (too_early.settled, too_early.detail) == (False, "cancel failed: ConfigurationError")
    assert [(t.alarm_name, t.new.value) for t in cloud.alarms.evaluate_now()] == []  # still parked, visible

    set_function_variable(
        cloud, "CancelBookingFunction", "BOOKING_TABLE_NAME", outputs["BookingTableName"]
    )  # the cause is fixed
    shown = io.StringIO()
    [previewed] = redrive.run(dry_run=True, out=shown)
    assert (previewed.booking_id, previewed.settled) == (booking_id, False)
    assert "tok_" not in shown.getvalue()  # no payment data, not even the test's card token

    [outcome] = redrive.run(dry_run=False, out=io.StringIO())
    second = redrive.run(dry_run=False, out=io.StringIO())

    assert (outcome.booking_id, outcome.settled) == (booking_id, True)
    assert second == []
    booking = cloud.client("dynamodb").get_item(
        TableName=outputs["BookingTableName"], Key={"id": {"S": booking_id}}
    )["Item"]
    assert booking["status"]["S"] == "CANCELLED"
    cleared = {(t.alarm_name, t.new.value) for t in cloud.alarms.evaluate_now()}
    assert (needs_attention, "OK") in cleared
    assert [n["NewStateValue"] for n in _notices(cloud, inbox) if n["AlarmName"] == needs_attention] == ["OK"]
    assert_system_consistent(cloud)


def test_bookings_failing_in_three_periods_in_a_row_fire_bookings_failing(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    state_machine = cloud.stack.outputs["BookingStateMachineArn"]
    failing = f"{STACK_NAME}-bookings-failing"
    cloud.alarms.evaluate_now()
    sfn = cloud.client("stepfunctions")

    for period in range(3):
        assert _state(cloud, failing) != "ALARM", f"fired after {period} periods"
        # An input naming another booking than the execution's name: the saga refuses it at once.
        execution = sfn.start_execution(
            stateMachineArn=state_machine,
            name=str(uuid.uuid4()),
            input=json.dumps({"bookingId": str(uuid.uuid4()), "customerId": "c", "flightId": "f"}),
        )["executionArn"]
        assert finished_execution(cloud, execution)["error"] == "BookingIdMismatch"
        cloud.alarms.evaluate_now()

    assert _state(cloud, failing) == "ALARM"


def test_cloudwatch_may_notify_the_operators_only_for_the_stacks_own_alarms(cloud: LocalCloud) -> None:
    """Whoever may create alarms cannot page the operators through CloudWatch: the topic's policy admits
    CloudWatch only for alarms named after the stack, and the local cloud evaluates it for each notice."""
    assert cloud.stack is not None
    inbox = _inbox(cloud)
    cloud.alarms.evaluate_now()
    _notices(cloud, inbox)
    cloud.client("cloudwatch").put_metric_alarm(
        AlarmName="someone-elses-alarm",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": INBOX}],
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=0,  # always breaching: it fires at its first evaluation
        AlarmActions=[cloud.stack.outputs["AlarmTopicArn"]],
    )

    fired = {(t.alarm_name, t.new.value) for t in cloud.alarms.evaluate_now()}

    assert ("someone-elses-alarm", "ALARM") in fired
    refused = [n for n in cloud.alarms.notifications if n.alarm_name == "someone-elses-alarm"]
    assert [n.delivered for n in refused] == [False]
    assert [n for n in _notices(cloud, inbox) if n["AlarmName"] == "someone-elses-alarm"] == []
