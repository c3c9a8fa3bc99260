"""What AWS services send on the stack's behalf: SNS's delivery to a queue is decided with the context
AWS gives it, and the execution's start time is Step Functions' text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import boto3
import pytest
from moto import mock_aws

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
