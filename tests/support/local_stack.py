"""Acting on the stack running in the local cloud as the attack and end-to-end tests do: customers and
their GraphQL requests, and what the stack holds, read as the account's administrator (tables, saga
executions, queues) so a test can show that an attack changed nothing."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import requests
from moto.sqs.models import sqs_backends

from common.dynamodb import from_item, to_item
from localcloud.cloud import Customer, LocalCloud
from localcloud.walkthrough import HTTP_TIMEOUT, graphql, wait_for
from stacktools.project import ACCOUNT_ID, REGION

__all__ = [
    "arn_of",
    "break_function",
    "departed_flight",
    "everything_kept",
    "executions",
    "finished_execution",
    "gql",
    "item",
    "new_customer",
    "post_graphql",
    "put_item",
    "queue_url",
    "table_name",
]


def new_customer(cloud: LocalCloud, *, admin: bool = False) -> Customer:
    return cloud.create_customer(f"attack-{uuid.uuid4().hex[:10]}@example.com", admin=admin)


def gql(
    cloud: LocalCloud, customer: Customer, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The request's data; raises ``GraphQLError`` naming each error's type when there are errors."""
    assert cloud.endpoints.graphql is not None
    return graphql(cloud.endpoints.graphql, customer.id_token, query, variables)


def post_graphql(cloud: LocalCloud, customer: Customer, body: bytes | str) -> requests.Response:
    """A GraphQL request body exactly as given (no JSON encoding by the client)."""
    assert cloud.endpoints.graphql is not None
    return requests.post(
        cloud.endpoints.graphql,
        data=body,
        headers={"Authorization": customer.id_token, "Content-Type": "application/json"},
        timeout=HTTP_TIMEOUT,
    )


def table_name(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_id(logical_id)


def item(cloud: LocalCloud, table_logical_id: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """One item, read consistently by the administrator, as plain values."""
    found = cloud.client("dynamodb").get_item(
        TableName=table_name(cloud, table_logical_id), Key=to_item(key), ConsistentRead=True
    )
    return from_item(found["Item"]) if "Item" in found else None


def put_item(cloud: LocalCloud, table_logical_id: str, values: dict[str, Any]) -> None:
    cloud.client("dynamodb").put_item(TableName=table_name(cloud, table_logical_id), Item=to_item(values))


def departed_flight(cloud: LocalCloud, departed_at: datetime, seats: int = 10) -> str:
    """A catalog flight that left at ``departed_at`` (UTC); returns its id."""
    flight_id = f"SA9{uuid.uuid4().int % 100:02d}-{departed_at.date().isoformat()}"
    put_item(
        cloud,
        "FlightTable",
        {
            "id": flight_id,
            "flightNumber": flight_id.split("-", 1)[0],
            "departureAirportCode": "LGW",
            "arrivalAirportCode": "MAD",
            "route": "LGW#MAD",
            "departureDate": departed_at.date().isoformat(),
            "departureDateTime": departed_at.isoformat(),
            "arrivalDateTime": departed_at.isoformat(),
            "price": 12900,
            "currency": "EUR",
            "seatCapacity": seats,
            "seatsAvailable": seats,
        },
    )
    return flight_id


def executions(cloud: LocalCloud) -> set[str]:
    """The names of every execution of the booking saga so far."""
    assert cloud.stack is not None
    pages = cloud.client("stepfunctions").get_paginator("list_executions")
    return {
        execution["name"]
        for page in pages.paginate(stateMachineArn=cloud.stack.outputs["BookingStateMachineArn"])
        for execution in page["executions"]
    }


def finished_execution(cloud: LocalCloud, execution_arn: str, deadline_seconds: float = 60) -> dict[str, Any]:
    """describe_execution once the execution has stopped running."""
    sfn = cloud.client("stepfunctions")
    ended: dict[str, Any] | None = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d,
        deadline_seconds,
    )
    assert ended, f"{execution_arn} was still running after {deadline_seconds} s"
    return ended


def arn_of(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    assert cloud.stack.resolver is not None
    return cloud.stack.resolver.get_att(logical_id, "Arn")


def queue_url(cloud: LocalCloud, logical_id: str) -> str:
    """The queue's URL on the local AWS endpoint."""
    assert cloud.stack is not None
    return cloud.stack.physical_id(logical_id).replace(
        f"https://sqs.{REGION}.amazonaws.com", cloud.endpoints.aws
    )


def break_function(cloud: LocalCloud, logical_id: str, variable: str) -> None:
    """Gives a function an invalid setting, so that it fails before calling AWS (a deployment defect)."""
    set_function_variable(cloud, logical_id, variable, "?")


def set_function_variable(cloud: LocalCloud, logical_id: str, variable: str, value: str) -> None:
    """Sets one environment variable of a function, keeping the others."""
    assert cloud.stack is not None
    awslambda = cloud.client("lambda")
    name = cloud.stack.physical_id(logical_id)
    environment = awslambda.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    awslambda.update_function_configuration(
        FunctionName=name, Environment={"Variables": {**environment, variable: value}}
    )


def everything_kept(cloud: LocalCloud) -> dict[str, list[str]]:
    """Every record the local cloud keeps of what happened, as text, by where it is kept: the saga's
    executions (input, output and every history event), the functions' logs, the REST API's access log,
    every CloudWatch Logs group (the state machine's), every message of every queue (read from the
    queues themselves, so in-flight and dead-lettered messages count and none is consumed), and every
    item of every table."""
    assert cloud.stack is not None
    kept: dict[str, list[str]] = {}
    sfn = cloud.client("stepfunctions")
    histories = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=cloud.stack.outputs["BookingStateMachineArn"]
    ):
        for execution in page["executions"]:
            arn = execution["executionArn"]
            histories.append(json.dumps(sfn.describe_execution(executionArn=arn), default=str))
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            histories.extend(json.dumps(event, default=str) for event in events)
    kept["execution histories"] = histories
    kept["function logs"] = [line for log in cloud.lambdas.logs.values() for line in list(log.lines)]
    kept["REST API access log"] = list(cloud.api_access_log)
    logs = cloud.client("logs")
    kept["CloudWatch Logs"] = [
        event["message"]
        for group in logs.describe_log_groups()["logGroups"]
        for event in logs.filter_log_events(logGroupName=group["logGroupName"])["events"]
    ]
    kept["queues"] = [
        message.body
        for queue in sqs_backends[ACCOUNT_ID][REGION].queues.values()
        for message in queue._messages
    ]
    dynamodb = cloud.client("dynamodb")
    kept["tables"] = [
        json.dumps(item)
        for table in dynamodb.list_tables()["TableNames"]
        for item in dynamodb.scan(TableName=table)["Items"]
    ]
    return kept


def queue_subscribed_to(
    cloud: LocalCloud, topic_arn: str, queue_name: str, *, raw_delivery: bool = False
) -> str:
    """A new queue subscribed to the topic, its policy admitting that topic's deliveries only: its URL."""
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}"
    policy = {
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
    url: str = cloud.client("sqs").create_queue(
        QueueName=queue_name, Attributes={"Policy": json.dumps(policy)}
    )["QueueUrl"]
    attributes = {"RawMessageDelivery": "true"} if raw_delivery else {}
    cloud.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes
    )
    return url
