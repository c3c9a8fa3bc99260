"""What AWS services send on the stack's behalf: SNS's delivery to a queue is decided with the context
AWS gives it, and the execution's start time is Step Functions' text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.exceptions import ServiceException
from moto.sns.models import Subscription
from moto.sqs.models import SQSBackend

from localcloud.moto_seams import SeamChangedError
from localcloud.service_integrations import SnsToSqsDelivery, step_functions_timestamp
from stacktools.project import ACCOUNT_ID, REGION

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bookings"


@pytest.fixture
def queue_arn() -> Iterator[str]:
    """A queue whose policy lets SNS deliver for one topic of this account only."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="loyalty")["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:loyalty"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:aws:sns:{REGION}:*:bookings"},
                        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                    },
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        yield arn


def test_a_delivery_carries_the_topic_and_its_account(queue_arn: str) -> None:
    delivery = SnsToSqsDelivery(account_id=ACCOUNT_ID)

    assert delivery.allowed(TOPIC, queue_arn)
    assert not delivery.allowed(TOPIC.replace(ACCOUNT_ID, "210987654321"), queue_arn)
    assert not delivery.allowed(TOPIC.replace("bookings", "lookalike"), queue_arn)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2030, 1, 8, 8, 5, 0, 123456, tzinfo=UTC), "2030-01-08T08:05:00.123Z"),
        (datetime(2030, 1, 8, 9, 5, tzinfo=timezone(timedelta(hours=1))), "2030-01-08T08:05:00.000Z"),
        (datetime(2030, 1, 8, 8, 5), "2030-01-08T08:05:00.000Z"),
    ],
)
def test_the_start_time_is_step_functions_text(moment: datetime, text: str) -> None:
    assert step_functions_timestamp(moment) == text


def allow_topic(queue_arn: str, topic_arn: str) -> str:
    """A queue policy letting SNS deliver for one topic."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


class Notices:
    """A topic with one SQS subscription (filtered on ``bookingStatus``), its dead-letter queue, and
    the local cloud's delivery installed."""

    def __init__(self, *, redrive: bool = True) -> None:
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.topic = self.sns.create_topic(Name="bookings")["TopicArn"]
        self.queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:loyalty"
        self.dead_letter_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:loyalty-dlq"
        self.queue = self.sqs.create_queue(
            QueueName="loyalty", Attributes={"Policy": allow_topic(self.queue_arn, self.topic)}
        )["QueueUrl"]
        self.dead_letters = self.sqs.create_queue(
            QueueName="loyalty-dlq", Attributes={"Policy": allow_topic(self.dead_letter_arn, self.topic)}
        )["QueueUrl"]
        attributes = {"FilterPolicy": json.dumps({"bookingStatus": ["CONFIRMED"]})}
        if redrive:
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": self.dead_letter_arn})
        self.sns.subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=self.queue_arn, Attributes=attributes
        )

    def publish(self, message: str, status: str = "CONFIRMED") -> str:
        message_id: str = self.sns.publish(
            TopicArn=self.topic,
            Message=message,
            MessageAttributes={"bookingStatus": {"DataType": "String", "StringValue": status}},
        )["MessageId"]
        return message_id

    def received(self, url: str) -> list[dict[str, Any]]:
        response: Any = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        found: list[dict[str, Any]] = response.get("Messages", [])
        return found

    def refuse_sns(self) -> None:
        """The queue's owner changes its policy so that SNS may no longer deliver (a client-side error)."""
        self.sqs.set_queue_attributes(
            QueueUrl=self.queue, Attributes={"Policy": allow_topic(self.queue_arn, self.topic + "-other")}
        )


@pytest.fixture
def delivery() -> Iterator[SnsToSqsDelivery]:
    with mock_aws():
        installed = SnsToSqsDelivery(account_id=ACCOUNT_ID)
        installed.install()
        try:
            yield installed
        finally:
            installed.uninstall()


def test_a_delivery_the_queue_policy_allows_reaches_the_queue(delivery: SnsToSqsDelivery) -> None:
    notices = Notices()

    notices.publish('{"bookingId": "b-1"}')

    [message] = notices.received(notices.queue)
    assert json.loads(json.loads(message["Body"])["Message"]) == {"bookingId": "b-1"}
    assert notices.received(notices.dead_letters) == []
    assert delivery.redriven == delivery.dropped == []


def test_a_delivery_the_queue_policy_refuses_goes_to_the_dead_letter_queue(
    delivery: SnsToSqsDelivery,
) -> None:
    notices = Notices()
    notices.refuse_sns()

    message_id = notices.publish('{"bookingId": "b-2"}')

    assert notices.received(notices.queue) == []
    [parked] = notices.received(notices.dead_letters)
    envelope = json.loads(parked["Body"])
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == notices.topic
    assert json.loads(envelope["Message"]) == {"bookingId": "b-2"}
    assert envelope["MessageAttributes"]["bookingStatus"]["Value"] == "CONFIRMED"
    attributes = {name: value["StringValue"] for name, value in parked["MessageAttributes"].items()}
    assert attributes["ErrorCode"] == "AccessDenied"
    assert attributes["ErrorMessage"]
    assert attributes["RequestID"]
    assert delivery.dropped == []
    assert len(delivery.redriven) == 1


def test_a_delivery_to_a_deleted_queue_goes_to_the_dead_letter_queue(delivery: SnsToSqsDelivery) -> None:
    notices = Notices()
    notices.sqs.delete_queue(QueueUrl=notices.queue)

    notices.publish('{"bookingId": "b-3"}')

    [parked] = notices.received(notices.dead_letters)
    assert (
        parked["MessageAttributes"]["ErrorCode"]["StringValue"] == "AWS.SimpleQueueService.NonExistentQueue"
    )


def test_a_throttled_delivery_goes_to_the_dead_letter_queue(
    delivery: SnsToSqsDelivery, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices = Notices()
    original = SQSBackend.send_message

    def throttled(backend: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        if queue_name == "loyalty":
            raise ServiceException("RequestThrottled", "Request is throttled.")
        return original(backend, queue_name, *args, **kwargs)

    monkeypatch.setattr(SQSBackend, "send_message", throttled)

    notices.publish('{"bookingId": "b-4"}')

    [parked] = notices.received(notices.dead_letters)
    assert parked["MessageAttributes"]["ErrorCode"]["StringValue"] == "RequestThrottled"
    assert json.loads(json.loads(parked["Body"])["Message"]) == {"bookingId": "b-4"}


def test_a_notice_the_filter_policy_stops_is_not_a_failed_delivery(delivery: SnsToSqsDelivery) -> None:
    notices = Notices()
    notices.refuse_sns()

    notices.publish('{"bookingId": "b-5"}', status="CANCELLED")

    assert notices.received(notices.dead_letters) == []
    assert delivery.redriven == delivery.dropped == []


def test_without_a_redrive_policy_a_failed_delivery_is_reported_lost(
    delivery: SnsToSqsDelivery, caplog: pytest.LogCaptureFixture
) -> None:
    notices = Notices(redrive=False)
    notices.refuse_sns()

    with caplog.at_level(logging.ERROR, logger="localcloud.sns"):
        notices.publish('{"bookingId": "b-6"}')

    assert notices.received(notices.dead_letters) == []
    [lost] = delivery.dropped
    assert "no RedrivePolicy" in lost
    assert "is lost" in caplog.text


def test_a_dead_letter_queue_whose_policy_refuses_sns_loses_the_notice_loudly(
    delivery: SnsToSqsDelivery,
) -> None:
    notices = Notices()
    notices.refuse_sns()
    notices.sqs.set_queue_attributes(QueueUrl=notices.dead_letters, Attributes={"Policy": ""})

    notices.publish('{"bookingId": "b-7"}')

    assert notices.received(notices.dead_letters) == []
    [lost] = delivery.dropped
    assert "refused it too" in lost


def test_the_patch_refuses_a_moto_whose_publish_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(self: Subscription, message: str) -> None: ...

    monkeypatch.setattr(Subscription, "publish", changed)
    with pytest.raises(SeamChangedError, match=r"'SNS delivery'.* takes"):
        SnsToSqsDelivery(account_id=ACCOUNT_ID).install()
