"""The least-privilege audit's own rules, on a small fixture stack (fixtures/ledger.yaml) with chosen
observations: what marks a grant used, what fails the audit, what an allowance explains, and the
policy generated from what was used. The project's template is never read here."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.audit import Allowance, RoleAudit, audit, load_allowances
from secaudit.policies import StackPolicies, stack_policies
from secaudit.usage import Use
from stacktools.template import load_template

FIXTURES = Path(__file__).with_name("fixtures")
TABLE = "${LedgerTable.Arn}"
ROUTE = "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${LedgerApi}/dev/GET/ledger/*"


@pytest.fixture(scope="module")
def policies() -> StackPolicies:
    return stack_policies(load_template(FIXTURES / "ledger.yaml"), stack_name="fixture")


@pytest.fixture(scope="module")
def allowances() -> list[Allowance]:
    return load_allowances(FIXTURES / "allowances.yaml")


def result_for(policies: StackPolicies, uses: set[Use], role: str, allowances: list[Allowance]) -> RoleAudit:
    [result] = [r for r in audit(policies, uses, allowances) if r.role == role]
    return result


def test_a_use_within_the_grant_marks_it_used(policies: StackPolicies, allowances: list[Allowance]) -> None:
    result = result_for(
        policies,
        {Use("ReaderFunctionRole", "dynamodb:GetItem", TABLE, True)},
        "ReaderFunctionRole",
        allowances,
    )

    assert not result.failed
    assert [(g.action, g.resource) for g in result.granted_used] == [("dynamodb:GetItem", TABLE)]


def test_code_calling_an_ungranted_action_fails_the_audit(
    policies: StackPolicies, allowances: list[Allowance]
) -> None:
    uses = {
        Use("ReaderFunctionRole", "dynamodb:GetItem", TABLE, True),
        Use("ReaderFunctionRole", "dynamodb:Query", TABLE, True),
    }

    result = result_for(policies, uses, "ReaderFunctionRole", allowances)

    assert result.failed
    assert [(u.action, why) for u, why in result.ungranted] == [
        ("dynamodb:Query", "not granted by the template's policies")
    ]


def test_a_call_the_local_cloud_refused_fails_the_audit(
    policies: StackPolicies, allowances: list[Allowance]
) -> None:
    uses = {
        Use("ReaderFunctionRole", "dynamodb:GetItem", TABLE, True),
        Use("ReaderFunctionRole", "dynamodb:PutItem", TABLE, False),
    }

    result = result_for(policies, uses, "ReaderFunctionRole", allowances)

    assert result.ungranted[0][1] == "refused by the local cloud"


def test_a_grant_nobody_uses_fails_unless_explained(
    policies: StackPolicies, allowances: list[Allowance]
) -> None:
    unexplained = result_for(policies, set(), "ReaderFunctionRole", [])
    explained = result_for(policies, set(), "ReaderFunctionRole", allowances)

    assert ("dynamodb:GetItem", TABLE) in [(g.action, g.resource) for g in unexplained.granted_unused]
    assert ("logs:PutLogEvents", "*") in [(g.action, g.resource) for g in unexplained.granted_unused]
    assert [(g.action, g.resource) for g in explained.granted_unused] == [("dynamodb:GetItem", TABLE)]
    assert {allowance.name for _, allowance in explained.allowed} == {"lambda-service-logs", "x-ray-tracing"}


def test_a_broader_grant_than_the_code_needs_is_reported_unused(
    policies: StackPolicies, allowances: list[Allowance]
) -> None:
    # DynamoDBWritePolicy grants batch writes and the table's indexes too: the code used neither.
    uses = {
        Use("WriterFunctionRole", action, TABLE, True)
        for action in ("dynamodb:PutItem", "dynamodb:UpdateItem")
    }

    result = result_for(policies, uses, "WriterFunctionRole", allowances)

    assert result.failed
    assert {(g.action, g.resource) for g in result.granted_unused} == {
        ("dynamodb:BatchWriteItem", TABLE),
        ("dynamodb:PutItem", f"{TABLE}/index/*"),
        ("dynamodb:UpdateItem", f"{TABLE}/index/*"),
        ("dynamodb:BatchWriteItem", f"{TABLE}/index/*"),
    }


def test_the_generated_policy_is_what_was_used(policies: StackPolicies, allowances: list[Allowance]) -> None:
    uses = {
        Use("WriterFunctionRole", "dynamodb:PutItem", TABLE, True),
        Use("WriterFunctionRole", "dynamodb:UpdateItem", TABLE, True),
        Use("ReaderFunctionRole", "dynamodb:GetItem", TABLE, True),
    }

    result = result_for(policies, uses, "WriterFunctionRole", allowances)

    assert result.generated_policy()["Statement"] == [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"], "Resource": [TABLE]}
    ]


def test_a_call_to_a_private_api_is_decided_with_the_apis_own_policy(
    policies: StackPolicies, allowances: list[Allowance]
) -> None:
    admitted = result_for(
        policies, {Use("LedgerCallerRole", "execute-api:Invoke", ROUTE, True)}, "LedgerCallerRole", allowances
    )
    # Its own policy grants the route; the API's resource policy denies every other principal.
    refused = result_for(
        policies, {Use("BystanderRole", "execute-api:Invoke", ROUTE, True)}, "BystanderRole", allowances
    )

    assert not admitted.failed
    assert [(u.action, why) for u, why in refused.ungranted] == [
        ("execute-api:Invoke", "not granted by the template's policies")
    ]


def test_an_allowance_without_a_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "allowances.yaml"
    path.write_text(
        "unused_grants:\n"
        "  - {name: quiet, roles: '*', actions: [s3:GetObject], resource: '*', reason: ' '}\n",
        encoding="utf-8",
    )

    with pytest.raises(ValueError, match="every allowance needs a reason"):
        load_allowances(path)


def test_every_allowance_of_the_project_has_a_reason_and_a_name() -> None:
    allowances = load_allowances()

    assert allowances
    assert all(a.reason and a.name for a in allowances)
    assert len({a.name for a in allowances}) == len(allowances)
