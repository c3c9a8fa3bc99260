"""The local cloud's SQS event source mapping (``localcloud.event_sources``), driving a handler in process.

Each poll applies the mapping's rules unchanged (batch size, ``ReportBatchItemFailures``, whole-batch
failure). The records a poll leaves on the queue are then made visible again at once, as if their
visibility timeout had passed, so that retries and redrive to the dead-letter queue happen without waiting.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from localcloud.event_sources import deliver_batch
from localcloud.lambda_service import InvocationResult
from tests.support.stack import ACCOUNT_ID, REGION, embedded_client
from tests.support.template import project_template

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


def _invoked(handler: BatchHandler, event: dict[str, Any]) -> InvocationResult:
    """The handler's answer as Lambda reports it: its JSON response, or an unhandled error."""
    try:
        response = handler(event)
    except Exception as error:
        return InvocationResult(
            payload=json.dumps({"errorMessage": str(error)}).encode(), function_error="Unhandled"
        )
    return InvocationResult(payload=json.dumps(response).encode(), function_error=None)


def drain(
    queue_url: str,
    handler: BatchHandler,
    *,
    mapping: str = "IngestLoyaltyEventSource",
    max_polls: int = 50,
) -> int:
    """Deliver until the queue is empty, with the batch size and response types of ``mapping``, an event
    source mapping of template.yaml (the loyalty queue's by default). Returns the number of invocations."""
    properties = project_template()["Resources"][mapping]["Properties"]
    batch_size = int(properties.get("BatchSize", 10))
    report_batch_item_failures = "ReportBatchItemFailures" in properties.get("FunctionResponseTypes", [])
    sqs = embedded_client("sqs")
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_url.rsplit('/', 1)[-1]}"
    for invocations in range(max_polls):
        left = deliver_batch(
            sqs,
            queue_url,
            queue_arn,
            REGION,
            batch_size=batch_size,
            report_batch_item_failures=report_batch_item_failures,
            invoke=lambda event: _invoked(handler, event),
        )
        if left is None:
            return invocations
        for record in left:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
    raise RuntimeError(f"{queue_url} still had messages after {max_polls} polls")
