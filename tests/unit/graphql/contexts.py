"""What the resolver tests share: where the code is, and AppSync contexts to evaluate it with."""

from __future__ import annotations

from typing import Any

from tests.support.template import REPOSITORY_ROOT

GRAPHQL = REPOSITORY_ROOT / "graphql"
SCHEMA = GRAPHQL / "schema.graphql"
RESOLVERS = GRAPHQL / "resolvers"
FUNCTIONS = GRAPHQL / "functions"

CUSTOMER = "0d3c3a1e-5b7f-4c1e-9a8e-2f6b1d4c7e90"
OTHER_CUSTOMER = "7b1e9c2a-3f4d-4e5a-8b6c-9d0e1f2a3b4c"
STATE_MACHINE_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:BookingStateMachine-Q1w2E3r4"
STAGE = "dev"
ENV = {"BOOKING_STATE_MACHINE_ARN": STATE_MACHINE_ARN, "LOYALTY_API_STAGE": STAGE}
UUID_V4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


def customer(sub: str = CUSTOMER, groups: list[str] | None = None) -> dict[str, Any]:
    """A user pool caller's identity, as AppSync puts it in ctx.identity."""
    return {
        "sub": sub,
        "username": sub,
        "groups": groups,
        "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI",
        "claims": {"sub": sub, "token_use": "id"},
        "sourceIp": ["203.0.113.10"],
        "defaultAuthStrategy": "ALLOW",
    }


def iam_caller() -> dict[str, Any]:
    """A SigV4-signed caller's identity: no sub, no groups."""
    return {
        "accountId": "123456789012",
        "userArn": "arn:aws:sts::123456789012:assumed-role/catalog-reader/session",
        "username": "AROAEXAMPLEID:session",
        "sourceIp": ["203.0.113.20"],
        "cognitoIdentityPoolId": None,
        "cognitoIdentityId": None,
        "cognitoIdentityAuthType": None,
        "cognitoIdentityAuthProvider": None,
    }


def context(
    type_name: str,
    field_name: str,
    *,
    arguments: dict[str, Any] | None = None,
    identity: dict[str, Any] | None = None,
    result: Any = None,
    error: dict[str, str] | None = None,
    prev: dict[str, Any] | None = None,
    stash: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """ctx for a handler of the field ``type_name.field_name``, with the API's environment variables."""
    document: dict[str, Any] = {
        "arguments": arguments or {},
        "identity": identity,
        "env": ENV,
        "info": {
            "fieldName": field_name,
            "parentTypeName": type_name,
            "variables": {},
            "selectionSetList": [],
            "selectionSetGraphQL": "",
        },
        "stash": stash or {},
        "result": result,
    }
    if error is not None:
        document["error"] = error
    if prev is not None:
        document["prev"] = prev
    return document


def http_result(status: int, body: str) -> dict[str, Any]:
    """An HTTP data source's answer, as AppSync gives it to the response handler in ctx.result."""
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": body}


def flight_item(flight_id: str = "SA101-2030-01-08", **changes: Any) -> dict[str, Any]:
    """A flight table item as AppSync's DynamoDB data source returns it (plain JSON, not typed)."""
    item: dict[str, Any] = {
        "id": flight_id,
        "flightNumber": "SA101",
        "departureAirportCode": "LGW",
        "arrivalAirportCode": "MAD",
        "route": "LGW#MAD",
        "departureDate": "2030-01-08",
        "departureDateTime": "2030-01-08T08:05:00+00:00",
        "arrivalDateTime": "2030-01-08T10:35:00+00:00",
        "price": 12900,
        "currency": "EUR",
        "seatCapacity": 180,
        "seatsAvailable": 178,
        "reservedBookings": ["5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "6a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"],
    }
    item.update(changes)
    return item


def booking_item(booking_id: str, customer_id: str = CUSTOMER, **changes: Any) -> dict[str, Any]:
    """A booking table item as AppSync's DynamoDB data source returns it."""
    item: dict[str, Any] = {
        "id": booking_id,
        "customerId": customer_id,
        "flightId": "SA101-2030-01-08",
        "status": "CONFIRMED",
        "amount": 12900,
        "currency": "EUR",
        "createdAt": "2030-01-01T12:00:00.000000+00:00",
        "bookingReference": "Q7K2PX",
        "confirmedAt": "2030-01-01T12:00:05.000000+00:00",
    }
    item.update(changes)
    return item
