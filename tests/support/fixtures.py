"""Shared fixtures: a moto-backed stack built from the template, and the in-process Lambda runner."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from typing import Any

import pytest
from moto import mock_aws
from moto.utilities.utils import get_partition

import booking.dependencies
import loyalty.dependencies
import payment.dependencies
from common.aws import reset_clients
from common.dynamodb import from_item, to_item
from localcloud.moto_seams import ImportedUserPoolKeys, RecordedRetryWaits, aws_managed_policies_only_in
from localcloud.service_integrations import ExecutionStartTimes, ParsedDefinitions, ReusedTaskClients
from stacktools.catalog import Flight, sample_flights, seed
from stacktools.translate import translate
from tests.support.inprocess import InProcessLambdaRunner
from tests.support.saga import STATE_MACHINE_ID, Saga
from tests.support.stack import (
    DATA_RESOURCE_TYPES,
    REGION,
    MockStack,
    attached_aws_managed_policies,
    deploy_embedded,
    embedded_client,
)

CATALOG_DAY = date(2030, 1, 1)


@pytest.fixture(autouse=True)
def _fresh_clients() -> None:
    """Each test gets new clients and settings, as a new Lambda execution environment would."""
    for reset in (
        reset_clients,
        booking.dependencies.reset,
        payment.dependencies.reset,
        loyalty.dependencies.reset,
    ):
        reset()


@cache
def _template_managed_policies() -> frozenset[str]:
    """The AWS managed policies template.yaml attaches: the same for every test of the process."""
    return frozenset(attached_aws_managed_policies(translate()))


@pytest.fixture
def aws() -> Iterator[None]:
    config: Any = {
        "stepfunctions": {"execute_state_machine": True},
        "iam": {"load_aws_managed_policies": True},
    }
    # The saga compares times with $$.Execution.StartTime: it must be the text Step Functions gives.
    start_times = ExecutionStartTimes()
    start_times.install()
    # The stack's partition only (moto's access key lookup makes an IAM backend in every partition),
    # and only the managed policies the template attaches: building all 1,500 of them was most of a
    # data-only deployment's time, and an account without the others refuses any other attachment.
    managed_policies = aws_managed_policies_only_in(get_partition(REGION), _template_managed_policies())
    # The state machine's definition is the same text in every test: moto parses it once per process.
    parsed_definitions = ParsedDefinitions()
    parsed_definitions.install()
    # moto's interpreter makes a new client for each task it runs: here each service's is made once.
    task_clients = ReusedTaskClients()
    task_clients.install()
    # Every user pool gets the key moto ships: importing it was most of a whole-stack deployment's time.
    user_pool_keys = ImportedUserPoolKeys()
    try:
        with mock_aws(config=config):
            yield
    finally:
        user_pool_keys.restore()
        task_clients.uninstall()
        parsed_definitions.uninstall()
        managed_policies.restore()
        start_times.uninstall()


@pytest.fixture
def stack(aws: None, request: pytest.FixtureRequest) -> MockStack:
    """The data resources only; tests marked ``whole_stack`` get every resource of the template."""
    whole = request.node.get_closest_marker("whole_stack") is not None
    return deploy_embedded(only_types=None if whole else DATA_RESOURCE_TYPES)


@pytest.fixture
def runner(stack: MockStack) -> Iterator[InProcessLambdaRunner]:
    with InProcessLambdaRunner(stack).installed() as lambda_runner:
        yield lambda_runner


@pytest.fixture
def flights(stack: MockStack) -> dict[str, Flight]:
    catalog = sample_flights(CATALOG_DAY)
    seed(embedded_client("dynamodb"), stack.physical_id("FlightTable"), catalog)
    return {flight.flight_number: flight for flight in catalog}


@pytest.fixture
def saga(stack: MockStack, runner: InProcessLambdaRunner, flights: dict[str, Flight]) -> Iterator[Saga]:
    if STATE_MACHINE_ID not in stack.deployed.resources:
        raise RuntimeError("mark the test `whole_stack`: it needs the functions and the state machine")
    # A retry's wait is clock time only: the executions retry as the definition says, without waiting.
    retry_waits = RecordedRetryWaits()
    try:
        yield Saga(stack=stack, runner=runner, retry_waits=retry_waits.intervals)
    finally:
        retry_waits.restore()


def get_item(stack: MockStack, table_logical_id: str, key: dict[str, str]) -> dict[str, Any] | None:
    client = embedded_client("dynamodb")
    response = client.get_item(
        TableName=stack.physical_id(table_logical_id), Key=to_item(key), ConsistentRead=True
    )
    item = response.get("Item")
    return from_item(item) if item else None


@pytest.fixture
def booking_topic_messages(stack: MockStack) -> Callable[[], list[dict[str, Any]]]:
    """Everything published to the booking topic from now on, whatever the loyalty subscription's filter.

    An extra queue, subscribed without a filter policy and with raw delivery as the loyalty queue is,
    observes the topic. Returns a function that reads (and consumes) what arrived so far, each message
    as ``{"notice": <the body, parsed>, "bookingStatus": <the message attribute>}``.
    """
    sqs = embedded_client("sqs")
    queue_url = sqs.create_queue(QueueName="booking-topic-observer")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    embedded_client("sns").subscribe(
        TopicArn=stack.physical_id("BookingTopic"),
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    def received() -> list[dict[str, Any]]:
        messages: list[Any] = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [
            {
                "notice": json.loads(message["Body"]),
                "bookingStatus": message["MessageAttributes"]["bookingStatus"]["StringValue"],
            }
            for message in messages
        ]

    return received
