"""Realistic identifiers and small policy builders shared by the iam_eval tests."""

from __future__ import annotations

from collections.abc import Mapping

from iam_eval import AccessRequest, ContextValue, Principal

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "eu-west-1"

LOYALTY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/airline/loyalty-get-fn"
BOOKING_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/airline/booking-confirm-fn"
PARTNER_ROLE_ARN = f"arn:aws:iam::{OTHER_ACCOUNT}:role/partner-loyalty-reader"
ADMIN_USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/ops/alice"

API_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123"
LOYALTY_GET_PATTERN = f"{API_ARN}/dev/GET/loyalty/*/get"
LOYALTY_GET_CUSTOMER_42 = f"{API_ARN}/dev/GET/loyalty/customer-42/get"

TABLE_PREFIX = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table"
BOOKING_TABLE = f"{TABLE_PREFIX}/Booking"
LOYALTY_TABLE = f"{TABLE_PREFIX}/Loyalty"
BOOKING_CUSTOMER_INDEX = f"{BOOKING_TABLE}/index/customer"

STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:booking-saga"
BOOKING_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:booking-confirmed"
BOOKING_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:booking-events"
INGEST_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:loyalty-ingest"


def loyalty_session() -> Principal:
    return Principal.role_session(LOYALTY_ROLE_ARN, "loyalty-get-fn")


def booking_session() -> Principal:
    return Principal.role_session(BOOKING_ROLE_ARN, "booking-confirm-fn")


def partner_session() -> Principal:
    return Principal.role_session(PARTNER_ROLE_ARN, "nightly-sync")


def request(
    principal: Principal, action: str, resource: str, context: Mapping[str, ContextValue] | None = None
) -> AccessRequest:
    return AccessRequest(principal=principal, action=action, resource=resource, context=context or {})


def policy(*statements: Mapping[str, object], version: str | None = "2012-10-17") -> dict[str, object]:
    document: dict[str, object] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


def allow(action: str | list[str], resource: str | list[str], **elements: object) -> dict[str, object]:
    """An identity-based Allow statement; `elements` adds Sid, Condition and the like."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **elements}


def deny(action: str | list[str], resource: str | list[str], **elements: object) -> dict[str, object]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **elements}
