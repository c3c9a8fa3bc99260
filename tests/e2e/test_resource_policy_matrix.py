"""The authorization matrix live: the loyalty queues, the booking topic, every function and the state
machine, tried by every role of the stack and by over-granted principals of the same account, against
the running local cloud. Only the cells written below are allowed (the loyalty API's cells are tried
by test_loyalty_api_matrix.py).

Every attempt changes nothing even where it is allowed: an empty message that the loyalty service
refuses, a notice without the attribute the loyalty subscription filters on, an empty event that every
function refuses, an execution input that fails at the saga's first state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import create_principal
from tests.support.local_cloud import Credentials, LocalCloud
from tests.support.local_stack import arn_of, queue_url

pytestmark = pytest.mark.local_cloud

OUTSIDER_ACTIONS = ["execute-api:*", "states:*", "sqs:*", "sns:*", "lambda:*"]
OUTSIDERS = ("outsider role", "outsider user")
FUNCTIONS = (
    "ReserveBookingFunction",
    "CollectPaymentFunction",
    "ConfirmBookingFunction",
    "NotifyBookingFunction",
    "RefundPaymentFunction",
    "CancelBookingFunction",
    "IngestLoyaltyFunction",
    "GetLoyaltyFunction",
)
QUEUES = ("LoyaltyQueue", "LoyaltyDeadLetterQueue")

INTENDED = {
    ("IngestLoyaltyFunctionRole", "sqs:ReceiveMessage", "LoyaltyQueue"),
    ("IngestLoyaltyFunctionRole", "sqs:DeleteMessage", "LoyaltyQueue"),
    *(
        (outsider, action, "LoyaltyDeadLetterQueue")
        for outsider in OUTSIDERS
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue")
    ),
    ("NotifyBookingFunctionRole", "sns:Publish", "BookingTopic"),
    *(("BookingStateMachineRole", "lambda:InvokeFunction", function) for function in FUNCTIONS[:6]),
    *((outsider, "lambda:InvokeFunction", function) for outsider in OUTSIDERS for function in FUNCTIONS),
    ("BookingDataSourceRole", "states:StartExecution", "BookingStateMachine"),
    *((outsider, "states:StartExecution", "BookingStateMachine") for outsider in OUTSIDERS),
}

Attempt = Callable[[LocalCloud, Credentials], Any]


def queue_attempts(url: str) -> dict[str, Attempt]:
    def send(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("sqs", credentials).send_message(QueueUrl=url, MessageBody="{}")

    def receive(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("sqs", credentials).receive_message(
            QueueUrl=url, WaitTimeSeconds=0, VisibilityTimeout=0
        )

    def delete(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("sqs", credentials).delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt")

    def purge(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("sqs", credentials).purge_queue(QueueUrl=url)

    return {
        "sqs:SendMessage": send,
        "sqs:ReceiveMessage": receive,
        "sqs:DeleteMessage": delete,
        "sqs:PurgeQueue": purge,
    }


def invocation(function_name: str) -> Attempt:
    def invoke(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("lambda", credentials).invoke(FunctionName=function_name, Payload=b"{}")

    return invoke


def attempts(cloud: LocalCloud) -> dict[tuple[str, str], Attempt]:
    """(action, target) -> the call that needs it."""
    assert cloud.stack is not None
    stack = cloud.stack
    outputs = stack.outputs

    def publish(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("sns", credentials).publish(TopicArn=outputs["BookingTopicArn"], Message="{}")

    def subscribe(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("sns", credentials).subscribe(
            TopicArn=outputs["BookingTopicArn"],
            Protocol="sqs",
            Endpoint=arn_of(cloud, "LoyaltyDeadLetterQueue"),
        )

    def start(cloud: LocalCloud, credentials: Credentials) -> Any:
        return cloud.client("stepfunctions", credentials).start_execution(
            stateMachineArn=outputs["BookingStateMachineArn"], name=f"matrix-{uuid.uuid4()}", input="{}"
        )

    found: dict[tuple[str, str], Attempt] = {
        (action, queue): attempt
        for queue in QUEUES
        for action, attempt in queue_attempts(queue_url(cloud, queue)).items()
    }
    found[("sns:Publish", "BookingTopic")] = publish
    found[("sns:Subscribe", "BookingTopic")] = subscribe
    for function in FUNCTIONS:
        found[("lambda:InvokeFunction", function)] = invocation(stack.physical_id(function))
    found[("states:StartExecution", "BookingStateMachine")] = start
    return found


def allowed(call: Callable[[], Any]) -> bool:
    """Whether authorisation let the call through (the service may still refuse what it asks)."""
    try:
        call()
    except ClientError as error:
        if error.response["Error"]["Code"] in {"AccessDenied", "AccessDeniedException", "AuthorizationError"}:
            return False
    return True


def test_only_the_intended_principals_reach_the_queues_the_topic_the_functions_and_the_saga(
    cloud: LocalCloud,
) -> None:
    assert cloud.stack is not None
    principals = {
        role.logical_id: cloud.role_credentials(role.logical_id)
        for role in cloud.stack.of_type("AWS::IAM::Role")
    }
    principals["outsider role"] = create_principal(
        cloud, f"outsider-{uuid.uuid4().hex[:6]}", OUTSIDER_ACTIONS
    )
    principals["outsider user"] = create_principal(
        cloud, f"outsider-{uuid.uuid4().hex[:6]}", OUTSIDER_ACTIONS, user=True
    )
    cells = attempts(cloud)

    reached = {
        (name, action, target)
        for name, credentials in principals.items()
        for (action, target), attempt in cells.items()
        if allowed(partial(attempt, cloud, credentials))
    }

    assert reached == INTENDED
    assert len(principals) * len(cells) > 300
