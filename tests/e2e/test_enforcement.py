"""IAM on the local AWS endpoint, rule by rule: real action names, real resource ARNs, and the
documented evaluation logic (explicit deny, NotResource, conditions), for the services the app uses."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ACCOUNT_TRUST, create_role
from tests.support.local_cloud import ACCOUNT_ID, REGION, Credentials, LocalCloud

pytestmark = pytest.mark.local_cloud

TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/"


@pytest.fixture(scope="module")
def tables(cloud: LocalCloud) -> tuple[str, str]:
    dynamodb = cloud.client("dynamodb")
    names = (f"granted-{uuid.uuid4().hex[:6]}", f"other-{uuid.uuid4().hex[:6]}")
    for name in names:
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return names


def role_with(cloud: LocalCloud, *statements: dict[str, Any]) -> Credentials:
    return create_role(cloud, f"rule-{uuid.uuid4().hex[:8]}", list(statements))[1]


def denied(call: Any, *args: Any, **kwargs: Any) -> bool:
    try:
        call(*args, **kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied"):
            return True
        raise
    return False


def item() -> dict[str, Any]:
    return {"id": {"S": str(uuid.uuid4())}}


def test_a_table_scoped_grant_covers_that_table_only(cloud: LocalCloud, tables: tuple[str, str]) -> None:
    granted, other = tables
    dynamodb = cloud.client(
        "dynamodb",
        role_with(cloud, {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE_ARN + granted}),
    )

    assert not denied(dynamodb.put_item, TableName=granted, Item=item())
    assert denied(dynamodb.put_item, TableName=other, Item=item())
    assert denied(dynamodb.get_item, TableName=granted, Key=item())


def test_a_transaction_needs_each_items_action_on_each_table(
    cloud: LocalCloud, tables: tuple[str, str]
) -> None:
    granted, other = tables
    dynamodb = cloud.client(
        "dynamodb",
        role_with(
            cloud,
            {
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
                "Resource": TABLE_ARN + granted,
            },
        ),
    )

    def transaction(second_table: str) -> Any:
        return dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": granted, "Item": item()}},
                {
                    "Update": {
                        "TableName": second_table,
                        "Key": item(),
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "1"}},
                    }
                },
            ]
        )

    assert not denied(transaction, granted)
    assert denied(transaction, other)


def test_an_index_is_its_own_resource(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    table = cloud.stack.outputs["BookingTableName"]
    dynamodb = cloud.client(
        "dynamodb",
        role_with(cloud, {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": TABLE_ARN + table}),
    )
    query = {
        "TableName": table,
        "KeyConditionExpression": "customerId = :c",
        "ExpressionAttributeValues": {":c": {"S": "x"}},
    }

    assert denied(dynamodb.query, IndexName="byCustomer", **query)


def test_batch_and_invoke_operations_are_authorised_as_aws_names_them(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    queue_name = cloud.stack.physical_id("BookingDeadLetterQueue").rsplit("/", 1)[-1]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}"
    function = cloud.stack.physical_id("GetLoyaltyFunction")
    # Not the booking topic: its topic policy admits NotifyBooking's role alone.
    topic_arn = cloud.client("sns").create_topic(Name=f"batch-{uuid.uuid4().hex[:8]}")["TopicArn"]
    credentials = role_with(
        cloud,
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn},
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {"Effect": "Allow", "Action": "lambda:Invoke", "Resource": "*"},  # not an IAM action
    )
    sqs, sns, awslambda = (cloud.client(service, credentials) for service in ("sqs", "sns", "lambda"))
    queue_url = f"{cloud.endpoints.aws}/{ACCOUNT_ID}/{queue_arn.rsplit(':', 1)[-1]}"

    assert not denied(sqs.send_message_batch, QueueUrl=queue_url, Entries=[{"Id": "1", "MessageBody": "{}"}])
    assert not denied(
        sns.publish_batch,
        TopicArn=topic_arn,
        PublishBatchRequestEntries=[{"Id": "1", "Message": "{}"}],
    )
    assert denied(awslambda.invoke, FunctionName=function, Payload=b"{}")


def test_an_explicit_deny_with_not_resource_wins(cloud: LocalCloud, tables: tuple[str, str]) -> None:
    granted, other = tables
    dynamodb = cloud.client(
        "dynamodb",
        role_with(
            cloud,
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE_ARN + granted},
        ),
    )

    assert not denied(dynamodb.put_item, TableName=granted, Item=item())
    assert denied(dynamodb.put_item, TableName=other, Item=item())


def test_actions_match_without_regard_to_case(cloud: LocalCloud, tables: tuple[str, str]) -> None:
    granted, _ = tables
    dynamodb = cloud.client(
        "dynamodb",
        role_with(cloud, {"Effect": "Allow", "Action": "DynamoDB:putitem", "Resource": TABLE_ARN + granted}),
    )

    assert not denied(dynamodb.put_item, TableName=granted, Item=item())


def test_a_trust_policy_decides_who_may_assume_a_role(cloud: LocalCloud) -> None:
    assert cloud.stack is not None
    outsider = role_with(cloud, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    sts = cloud.client("sts", outsider)
    function_role = cloud.stack.resources["GetLoyaltyFunction"].properties["Role"]

    # GetLoyalty's role trusts lambda.amazonaws.com only: an identity grant is not enough.
    assert denied(sts.assume_role, RoleArn=function_role, RoleSessionName="intruder")


def test_a_trust_policy_naming_the_account_delegates_to_identity_policies(cloud: LocalCloud) -> None:
    target = f"target-{uuid.uuid4().hex[:6]}"
    target_arn = cloud.client("iam").create_role(
        RoleName=target, AssumeRolePolicyDocument=json.dumps(ACCOUNT_TRUST)
    )["Role"]["Arn"]
    with_grant = role_with(cloud, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target_arn})
    without_grant = role_with(cloud, {"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"})

    assert not denied(cloud.client("sts", with_grant).assume_role, RoleArn=target_arn, RoleSessionName="ok")
    assert denied(cloud.client("sts", without_grant).assume_role, RoleArn=target_arn, RoleSessionName="no")
