"""The blast radius report, offline from template.yaml: what each role's stolen credentials reach is
what the fixes intended, every reach is explained, and the checked-in report is the generated one."""

from __future__ import annotations

import copy

import pytest

from tests.support.audit import StackPolicies, blast_radius, stack_policies
from tests.support.template import project_template

DATA = ("dynamodb", "sqs", "sns", "lambda", "states", "execute-api")


@pytest.fixture(scope="module")
def policies() -> StackPolicies:
    return stack_policies()


@pytest.fixture(scope="module")
def report(policies: StackPolicies) -> dict[str, list[blast_radius.Reach]]:
    return blast_radius.reach(policies)


def data_reach(report: dict[str, list[blast_radius.Reach]], role: str) -> set[tuple[str, str]]:
    """What a role reaches beyond logs and traces."""
    return {(item.action, item.resource) for item in report[role] if item.action.split(":")[0] in DATA}


def test_the_checked_in_report_is_up_to_date(
    policies: StackPolicies, report: dict[str, list[blast_radius.Reach]]
) -> None:
    assert blast_radius.DOCS_PATH.read_text(encoding="utf-8") == blast_radius.render(policies, report), (
        "docs/blast-radius.md is out of date: run `python -m secaudit.blast_radius --write`"
    )


def test_each_function_role_reaches_its_own_step_only(report: dict[str, list[blast_radius.Reach]]) -> None:
    assert data_reach(report, "ReserveBookingFunctionRole") == {("dynamodb:PutItem", "BookingTable")}
    assert data_reach(report, "ConfirmBookingFunctionRole") == {("dynamodb:UpdateItem", "BookingTable")}
    assert data_reach(report, "CancelBookingFunctionRole") == {("dynamodb:UpdateItem", "BookingTable")}
    assert data_reach(report, "NotifyBookingFunctionRole") == {("sns:Publish", "BookingTopic")}
    assert data_reach(report, "CollectPaymentFunctionRole") == {
        ("dynamodb:GetItem", "PaymentTable"),
        ("dynamodb:UpdateItem", "PaymentTable"),
    }
    assert data_reach(report, "PaymentRegistrationRole") == {
        ("dynamodb:PutItem", "PaymentTable"),
        ("dynamodb:GetItem", "PaymentTable"),
    }
    # The registration role reads a request's fingerprint and nothing else of a payment.
    assert next(
        item.limits for item in report["PaymentRegistrationRole"] if item.action == "dynamodb:GetItem"
    ) == (
        "dynamodb:Attributes ForAllValues:StringEquals bookingId, requestFingerprint",
        "dynamodb:Select StringEqualsIfExists SPECIFIC_ATTRIBUTES",
    )
    assert data_reach(report, "RefundPaymentFunctionRole") == {("dynamodb:UpdateItem", "PaymentTable")}
    assert data_reach(report, "GetLoyaltyFunctionRole") == {("dynamodb:GetItem", "LoyaltyTable")}
    assert data_reach(report, "IngestLoyaltyFunctionRole") == {
        ("dynamodb:PutItem", "LoyaltyTable"),
        ("dynamodb:UpdateItem", "LoyaltyTable"),
        ("sqs:ReceiveMessage", "LoyaltyQueue"),
        ("sqs:DeleteMessage", "LoyaltyQueue"),
        ("sqs:GetQueueAttributes", "LoyaltyQueue"),
    }


def test_the_booking_writers_are_held_to_their_steps_attributes(
    report: dict[str, list[blast_radius.Reach]],
) -> None:
    limits = {
        role: next(item.limits for item in report[role] if item.action.startswith("dynamodb:"))
        for role in ("ReserveBookingFunctionRole", "ConfirmBookingFunctionRole", "CancelBookingFunctionRole")
    }

    assert limits == {
        "ReserveBookingFunctionRole": (
            "dynamodb:Attributes ForAllValues:StringEquals "
            "id, customerId, flightId, status, amount, currency, createdAt",
            "dynamodb:ReturnValues StringEqualsIfExists NONE",
        ),
        "ConfirmBookingFunctionRole": (
            "dynamodb:Attributes ForAllValues:StringEquals id, status, bookingReference, confirmedAt",
        ),
        "CancelBookingFunctionRole": (
            "dynamodb:Attributes ForAllValues:StringEquals id, status, cancelledAt, cancellationReason",
        ),
    }


def test_only_ingest_loyalty_writes_points(report: dict[str, list[blast_radius.Reach]]) -> None:
    writers = {
        role
        for role, reaches in report.items()
        for item in reaches
        if item.resource == "LoyaltyTable" and item.action in ("dynamodb:PutItem", "dynamodb:UpdateItem")
    }

    assert writers == {"IngestLoyaltyFunctionRole"}


def test_a_grant_nobody_has_explained_fails_the_report() -> None:
    template = copy.deepcopy(project_template())
    policy = template["Resources"]["GetLoyaltyFunction"]["Properties"]["Policies"][0]
    policy["Statement"].append(
        {"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": {"Fn::GetAtt": ["LoyaltyTable", "Arn"]}}
    )

    with pytest.raises(LookupError, match="no business meaning written for dynamodb:Scan on LoyaltyTable"):
        blast_radius.reach(stack_policies(template))


def test_a_role_nobody_has_described_fails_the_report() -> None:
    with pytest.raises(LookupError, match="for NewFunctionRole: add it to BEYOND_IAM in tools/secaudit"):
        blast_radius.beyond_iam("NewFunctionRole")
