"""Acting on the stack running in the local cloud as the attack and end-to-end tests do: customers and
their GraphQL requests, and what the stack holds, read as the account's administrator (tables, saga
executions, queues) so a test can show that an attack changed nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import requests

from common.dynamodb import from_item, to_item
from localcloud.cloud import Customer, LocalCloud
from localcloud.walkthrough import HTTP_TIMEOUT, graphql, wait_for
from stacktools.project import REGION

__all__ = [
    "arn_of",
    "departed_flight",
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
