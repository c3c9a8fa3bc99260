"""The SQS event source mapping's rules: which messages a batch leaves on the queue, and what happens to them.

The partial batch rules are Lambda's documented success and failure conditions for
``ReportBatchItemFailures``; the queue behaviour runs against moto's SQS in process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.event_sources import deliver_batch, messages_to_retry
from localcloud.lambda_service import InvocationResult
from stacktools.project import ACCOUNT_ID, REGION

BATCH = ["m-1", "m-2", "m-3"]


def answered(response: Any) -> InvocationResult:
    return InvocationResult(payload=json.dumps(response).encode(), function_error=None)


def failures(*identifiers: Any) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": identifier} for identifier in identifiers]}


def test_a_function_error_fails_the_whole_batch_whatever_it_reports() -> None:
    result = InvocationResult(payload=json.dumps(failures("m-1")).encode(), function_error="Unhandled")

    assert messages_to_retry(result, BATCH, report_batch_item_failures=True) == set(BATCH)
    assert messages_to_retry(result, BATCH, report_batch_item_failures=False) == set(BATCH)


def test_without_report_batch_item_failures_a_listed_failure_is_ignored() -> None:
    assert messages_to_retry(answered(failures("m-2")), BATCH, report_batch_item_failures=False) == set()


def test_only_the_listed_messages_are_retried() -> None:
    assert messages_to_retry(answered(failures("m-2", "m-3")), BATCH, report_batch_item_failures=True) == {
        "m-2",
        "m-3",
    }


@pytest.mark.parametrize(
    "response",
    [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}],
    ids=["null response", "empty response", "empty list", "null list"],
)
def test_responses_that_report_no_failure_succeed_the_whole_batch(response: Any) -> None:
    assert messages_to_retry(answered(response), BATCH, report_batch_item_failures=True) == set()


@pytest.mark.parametrize(
    "response",
    [
        failures("m-1", "not-in-the-batch"),
        failures(""),
        failures(None),
        {"batchItemFailures": [{"itemId": "m-1"}]},
        {"batchItemFailures": ["m-1"]},
        {"batchItemFailures": "m-1"},
        ["m-1"],
    ],
    ids=[
        "identifier not in the batch",
        "empty identifier",
        "null identifier",
        "wrong key name",
        "entry not an object",
        "failures not a list",
        "response not an object",
    ],
)
def test_a_response_lambda_cannot_read_fails_the_whole_batch(response: Any) -> None:
    assert messages_to_retry(answered(response), BATCH, report_batch_item_failures=True) == set(BATCH)


def test_a_response_that_is_not_json_fails_the_whole_batch() -> None:
    result = InvocationResult(payload=b"not json", function_error=None)

    assert messages_to_retry(result, BATCH, report_batch_item_failures=True) == set(BATCH)


@pytest.fixture
def queues() -> Iterator[tuple[Any, str, str, str]]:
    """A queue whose dead-letter queue takes a message after its second receive."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dead_letters = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        dead_letter_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:dead-letters"
        policy = json.dumps({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": 2})
        queue = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})["QueueUrl"]
        yield sqs, queue, f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:work", dead_letters


def bodies_on(sqs: Any, queue_url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def test_a_poll_delivers_at_most_the_batch_size_and_deletes_what_succeeded(
    queues: tuple[Any, str, str, str],
) -> None:
    sqs, queue_url, queue_arn, _ = queues
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    batches: list[list[str]] = []

    def invoke(event: dict[str, Any]) -> InvocationResult:
        batches.append([record["body"] for record in event["Records"]])
        return answered(None)

    for _ in range(2):
        deliver_batch(
            sqs, queue_url, queue_arn, REGION, batch_size=2, report_batch_item_failures=True, invoke=invoke
        )

    assert [len(batch) for batch in batches] == [2, 1]
    assert (
        deliver_batch(
            sqs, queue_url, queue_arn, REGION, batch_size=2, report_batch_item_failures=True, invoke=invoke
        )
        is None
    )


def test_a_listed_message_stays_on_the_queue_and_moves_to_the_dead_letter_queue_after_max_receives(
    queues: tuple[Any, str, str, str],
) -> None:
    sqs, queue_url, queue_arn, dead_letters = queues
    for body in ("good", "poison"):
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    def invoke(event: dict[str, Any]) -> InvocationResult:
        poison = [record["messageId"] for record in event["Records"] if record["body"] == "poison"]
        return answered(failures(*poison))

    for _ in range(2):
        left = deliver_batch(
            sqs, queue_url, queue_arn, REGION, batch_size=10, report_batch_item_failures=True, invoke=invoke
        )
        assert left is not None
        assert [record["body"] for record in left] == ["poison"]
        # As if the visibility timeout had passed.
        for record in left:
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )

    assert bodies_on(sqs, queue_url) == []
    assert bodies_on(sqs, dead_letters) == ["poison"]
