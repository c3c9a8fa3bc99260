"""SQS event source mappings as Lambda runs them: poll with the function's role, invoke with a batch.

moto (5.2.5) invokes the function inside SendMessage, one message at a time, ignores
``batchItemFailures`` and deletes what failed. The local cloud detaches moto's trigger when a mapping is
created and polls instead, as the Lambda service does:

* it receives with the function's role credentials, so the role needs ``sqs:ReceiveMessage``,
  ``sqs:DeleteMessage`` and ``sqs:GetQueueAttributes`` on the queue, as in AWS;
* a function error leaves the whole batch on the queue; with ``ReportBatchItemFailures`` only the
  listed records stay (:func:`messages_to_retry` holds Lambda's rules); both come back after the
  queue's visibility timeout and move to the queue's dead-letter queue after its ``maxReceiveCount``.

:func:`deliver_batch` is one poll of a mapping; the component tests drive it with handlers run in
process, so both apply the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction, lambda_backends
from moto.sqs.models import sqs_backends

from localcloud import moto_seams
from localcloud.identity import Credentials, MotoIdentityDirectory
from localcloud.lambda_service import InvocationResult
from localcloud.sessions import ClientsByCredentials

POLL_WAIT_SECONDS = 1
ERROR_BACKOFF_SECONDS = 2
# SQS's ReceiveMessage limit; Lambda gathers larger batches from several receives.
MAX_MESSAGES_PER_RECEIVE = 10


@dataclass
class _Mapping:
    uuid: str
    function_arn: str
    queue_arn: str
    batch_size: int
    report_batch_item_failures: bool


def sqs_records(messages: list[dict[str, Any]], queue_arn: str, region: str) -> list[dict[str, Any]]:
    """Received SQS messages as the records of a Lambda SQS event."""
    return [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        for message in messages
    ]


def messages_to_retry(
    result: InvocationResult, message_ids: list[str], report_batch_item_failures: bool
) -> set[str]:
    """Which of a batch's messages stay on the queue after the function's invocation, as Lambda decides.

    A function error fails the whole batch. Without ``ReportBatchItemFailures`` any other answer
    succeeds. With it, a null or empty response or ``batchItemFailures`` succeeds; the listed
    identifiers are retried; and a response Lambda cannot read (not JSON, not an object, an entry
    without an ``itemIdentifier``, an empty one, or one that is not in the batch) fails the whole batch.
    """
    every = set(message_ids)
    if result.function_error:
        return every
    if not report_batch_item_failures:
        return set()
    try:
        response = result.json()
    except ValueError:
        return every
    listed = _listed_failures(response)
    return every if listed is None or not listed <= every else listed


def _listed_failures(response: Any) -> set[str] | None:
    """The identifiers a partial batch response lists; None when it is not one Lambda can read."""
    if response is None:
        return set()
    failures = response.get("batchItemFailures") if isinstance(response, dict) else "unreadable"
    if failures is None or failures == []:
        return set()
    if not isinstance(failures, list):
        return None
    identifiers = [
        failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures
    ]
    if not all(isinstance(identifier, str) and identifier for identifier in identifiers):
        return None
    return {str(identifier) for identifier in identifiers}


def deliver_batch(
    sqs: Any,
    queue_url: str,
    queue_arn: str,
    region: str,
    *,
    batch_size: int,
    report_batch_item_failures: bool,
    invoke: Callable[[dict[str, Any]], InvocationResult],
    wait_seconds: int = 0,
) -> list[dict[str, Any]] | None:
    """One poll of an SQS event source mapping: receive up to ``batch_size`` messages, invoke the
    function with them and delete the ones it processed.

    Returns the records left on the queue (they come back after the visibility timeout), or None
    when there was nothing to receive.
    """
    messages = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=min(batch_size, MAX_MESSAGES_PER_RECEIVE),
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    if not messages:
        return None
    records = sqs_records(messages, queue_arn, region)
    result = invoke({"Records": records})
    stay = messages_to_retry(result, [record["messageId"] for record in records], report_batch_item_failures)
    done = [
        {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
        for index, record in enumerate(records)
        if record["messageId"] not in stay
    ]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
    return [record for record in records if record["messageId"] in stay]


class SqsEventSources:
    def __init__(
        self,
        directory: MotoIdentityDirectory,
        *,
        account_id: str,
        region: str,
        endpoint_url: Callable[[], str],
        invoke: Callable[[LambdaFunction, dict[str, Any]], InvocationResult],
    ) -> None:
        self._directory = directory
        self._account_id = account_id
        self._region = region
        self._endpoint_url = endpoint_url
        self._invoke = invoke
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients_by_credentials = ClientsByCredentials(self._new_client)
        self._replaced: moto_seams.Replaced | None = None
        self.errors: list[str] = []

    def install(self) -> None:
        sources = self

        def create(backend: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
            mapping: EventSourceMapping = replaced.original(backend, spec)
            for queue in sqs_backends[backend.account_id][backend.region_name].queues.values():
                if queue.queue_arn == mapping.event_source_arn:
                    moto_seams.detach_queue_mapping(queue, mapping.function_arn)
                    sources._start(mapping)
            return mapping

        replaced = self._replaced = moto_seams.EVENT_SOURCE_MAPPING_CREATION.replace(create)

    def uninstall(self) -> None:
        if self._replaced is not None:
            self._replaced.restore()
            self._replaced = None

    def _start(self, mapping: EventSourceMapping) -> None:
        poller = _Mapping(
            uuid=mapping.uuid,
            function_arn=mapping.function_arn,
            queue_arn=mapping.event_source_arn,
            batch_size=int(mapping.batch_size or 10),
            report_batch_item_failures="ReportBatchItemFailures" in (mapping.function_response_types or []),
        )
        thread = threading.Thread(target=self._poll, args=(poller,), name=f"esm-{poller.uuid}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _function(self, function_arn: str) -> LambdaFunction:
        function: LambdaFunction = lambda_backends[self._account_id][self._region].get_function(function_arn)
        return function

    def _queue_client(self, function: LambdaFunction) -> Any:
        credentials = self._directory.service_role_credentials(
            function.role,
            "lambda.amazonaws.com",
            function.function_name,
            {"aws:SourceAccount": self._account_id},
        )
        return self._clients_by_credentials.client("sqs", self._region, credentials)

    def _new_client(self, service: str, region: str, credentials: Credentials) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=self._endpoint_url(),
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=Config(retries={"max_attempts": 0}),
        )

    def _poll(self, mapping: _Mapping) -> None:
        queue_url = f"{self._endpoint_url()}/{self._account_id}/{mapping.queue_arn.rsplit(':', 1)[-1]}"
        while not self._stopping.is_set():
            try:
                function = self._function(mapping.function_arn)
                sqs = self._queue_client(function)
                sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])
                self._poll_once(mapping, function, sqs, queue_url)
            except (BotoCoreError, ClientError, PermissionError) as error:
                # As in AWS, a mapping whose role lacks permissions keeps failing (and says so).
                self.errors.append(f"{mapping.function_arn}: {error}")
                self._stopping.wait(ERROR_BACKOFF_SECONDS)

    def _poll_once(self, mapping: _Mapping, function: LambdaFunction, sqs: Any, queue_url: str) -> None:
        deliver_batch(
            sqs,
            queue_url,
            mapping.queue_arn,
            self._region,
            batch_size=mapping.batch_size,
            report_batch_item_failures=mapping.report_batch_item_failures,
            invoke=lambda event: self._invoke(function, event),
            wait_seconds=POLL_WAIT_SECONDS,
        )

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=POLL_WAIT_SECONDS + 5)
        self.uninstall()
