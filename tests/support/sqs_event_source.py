"""What a Lambda SQS event source mapping does: poll, invoke with a batch, delete successes.

Failed records (reported through ``batchItemFailures``) are made visible again at once instead of
after the visibility timeout, so redrive to the dead-letter queue happens without waiting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from localcloud.event_sources import sqs_records
from tests.support.stack import ACCOUNT_ID, REGION

BatchHandler = Callable[[dict[str, Any]], dict[str, Any]]


def topic_envelope(notice: dict[str, Any], topic_arn: str, status: str | None = None) -> str:
    """A queue message body as an SNS topic delivers a notice (not raw): the envelope naming the
    topic, the notice as its Message, and the ``bookingStatus`` attribute (the notice's, by default)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Message": json.dumps(notice),
            "Timestamp": "2030-01-01T00:00:00.000Z",
            "SignatureVersion": "2",
            "Signature": "EXAMPLE",
            "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-example.pem",
            "MessageAttributes": {
                "bookingStatus": {"Type": "String", "Value": status or str(notice.get("status"))}
            },
        }
    )


def sqs_event(queue_url: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_url.rsplit('/', 1)[-1]}"
    return {"Records": sqs_records(messages, queue_arn, REGION)}


def drain(queue_url: str, handler: BatchHandler, batch_size: int = 10, max_polls: int = 50) -> int:
    """Deliver until the queue is empty. Returns the number of handler invocations."""
    sqs = boto3.client("sqs", region_name=REGION)
    for invocations in range(max_polls):
        messages: list[Any] = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return invocations
        try:
            response = handler(sqs_event(queue_url, messages))
        except Exception:
            response = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
        failed = {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    raise RuntimeError(f"{queue_url} still had messages after {max_polls} polls")
