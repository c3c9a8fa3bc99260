"""Which known-bad change to template.yaml each static tool catches, and which none of them can.

Every variant of ``secaudit.variants`` goes through the whole static gate next to an unchanged copy
of template.yaml, and the test compares what is new. Comparing with the unchanged copy keeps these
tests about the variant alone: findings the project accepts (suppressed on their resource, or allowed
in tools/secaudit/allowances.yaml) are the same in both.

Three changes are invisible to every linter - each leaves only valid, well-formed, scoped policies -
and are shown here to be real holes with the IAM evaluator; the authorization tests must catch them:

* the loyalty API's explicit Deny removed (an Allow-only resource policy admits the whole account),
* the AppSync loyalty role's grant widened to ``.../*/*/*`` (every stage, method and path),
* two functions sharing one role (each then holds the other's permissions).

The same run of each tool also checks the web app's hosting and its variants (test_web_template.py
defines them) and the CI deploy roles (test_deploy_role.py): one cfn-lint, one checkov, one parliament
and one ``sam validate`` process for every template the security tier scans, since a tool's start-up
costs as much as a template. They are all asserted here, in one module, so that pytest-xdist's
``--dist loadfile`` gives the whole run to one worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.security import test_deploy_role as deploy_role
from tests.security import test_web_template as web
from tests.support.audit import (
    VARIANTS,
    Finding,
    Gate,
    GateReport,
    Scans,
    StackPolicies,
    Template,
    run_gates_and_scans,
    stack_policies,
    write_template,
)
from tests.support.iam import AccessRequest, Principal, evaluate
from tests.support.stack import ACCOUNT_ID as ACCOUNT
from tests.support.stack import REGION
from tests.support.template import REPOSITORY_ROOT, load_template, project_template

type Key = tuple[str, str, str]
"""(gate, rule, where) of a finding: where is the logical id, and for parliament also the document."""

RESERVE_INLINE_POLICY = "ReserveBookingFunctionRole/inline:ReserveBookingFunctionRolePolicy0"


# What each variant adds to the gate's findings, and nothing else.
EXPECTED: dict[str, set[Key]] = {
    "wildcard_action": {
        # cfn-lint's serverless rules see the star in the function's inline policy and in its role...
        (Gate.CFN_LINT_SAM, "WS1003", "ReserveBookingFunction"),
        (Gate.CFN_LINT_TRANSLATED, "WS1003", "ReserveBookingFunctionRole"),
        # ...and checkov only in the generated role: it never reads a function's Policies. Its
        # credentials-exposure check (CKV_AWS_107) passes any statement with a Condition, so the
        # attribute condition on this grant hides the star from it; CKV_AWS_63 still sees it.
        (Gate.CHECKOV_TRANSLATED, "CKV_AWS_63", "ReserveBookingFunctionRole"),
    },
    "misspelled_iam_action": {
        # W3037 fires only where the policy is a plain IAM policy: on the translated template.
        (Gate.CFN_LINT_TRANSLATED, "W3037", "ReserveBookingFunctionRole"),
        (Gate.PARLIAMENT, "UNKNOWN_ACTION", RESERVE_INLINE_POLICY),
    },
    "dynamodb_statement_on_any_resource": {
        # checkov's write-access check (CKV_AWS_111) passes any statement with a Condition, such as
        # the grant's attribute condition: only parliament sees the star.
        (Gate.PARLIAMENT, "RESOURCE_STAR", RESERVE_INLINE_POLICY),
    },
    # Only SAM's own translator knows its policy templates: cfn-lint and checkov pass both.
    "misspelled_policy_template": {
        (Gate.SAM_VALIDATE, "InvalidSamDocument", "NotifyBookingFunction"),
        (Gate.TRANSLATE, "InvalidSamDocument", "NotifyBookingFunction"),
    },
    "misspelled_policy_template_parameter": {
        (Gate.SAM_VALIDATE, "InvalidSamDocument", "NotifyBookingFunction"),
        (Gate.TRANSLATE, "InvalidSamDocument", "NotifyBookingFunction"),
    },
    "shared_role": set(),
    "loyalty_api_deny_removed": set(),
    "loyalty_grant_widened": set(),
    # .checkov.yaml accepts the AWS managed key for every table (CKV_AWS_119): checkov passes the new
    # table on the template and on its translation alike. The accepted-findings test makes someone name
    # it in docs/accepted-findings.md (tests/template/test_accepted_findings.py).
    "table_added": set(),
    # Topic encryption (CKV_AWS_26) is accepted on the booking topic only: accepted nowhere for the new
    # topic, so it fails the gate on both templates.
    "unencrypted_topic_added": {
        (Gate.CHECKOV_SAM, "CKV_AWS_26", "RefundTopic"),
        (Gate.CHECKOV_TRANSLATED, "CKV_AWS_26", "RefundTopic"),
    },
}


def _key(finding: Finding) -> Key:
    where = f"{finding.resource}/{finding.document}" if finding.document else finding.resource
    return (finding.gate, finding.rule, where)


@dataclass(frozen=True)
class Scanned:
    """What one run of the tools found on every template the security tier scans."""

    application: dict[str, GateReport]
    """The gate's report on an unchanged copy of template.yaml ("unchanged") and on every variant."""
    web: dict[str, GateReport]
    """The same for web/template.yaml and its variants."""
    deploy_role: list[Finding]
    """cfn-lint, checkov and parliament on the CI deploy roles (no allowances: none apply there)."""


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    root = tmp_path_factory.mktemp("variants")
    application = {"unchanged": write_template(project_template(), root / "unchanged")}
    application.update(
        {name: write_template(variant(None), root / name) for name, variant in VARIANTS.items()}
    )
    web_root = tmp_path_factory.mktemp("web-variants")
    web_paths = {"unchanged": write_template(web.web_template(), web_root / "unchanged")}
    web_paths.update({name: write_template(web.variant(name), web_root / name) for name in web.VARIANTS})
    deploy_roles = deploy_role.TEMPLATE_PATH
    also = Scans(
        cfn_lint={deploy_roles: "cfn-lint/deploy-role"},
        checkov={deploy_roles: "checkov/deploy-role"},
        parliament={deploy_roles: deploy_role.ROLES},
    )

    by_path, extra = run_gates_and_scans([*application.values(), *web_paths.values()], also)

    return Scanned(
        application={name: by_path[path.resolve()] for name, path in application.items()},
        web={name: by_path[path.resolve()] for name, path in web_paths.items()},
        deploy_role=extra[deploy_roles.resolve()],
    )


@pytest.fixture(scope="module")
def reports(scanned: Scanned) -> dict[str, GateReport]:
    return scanned.application


def _new(reports: dict[str, GateReport], variant: str) -> list[Finding]:
    before = {_key(finding) for finding in reports["unchanged"].findings}
    return [finding for finding in reports[variant].findings if _key(finding) not in before]


# ---------------------------------------------------------------- the variants themselves


def test_the_expectations_cover_every_variant() -> None:
    assert set(EXPECTED) == set(VARIANTS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_variant_changes_a_copy_and_never_the_project_template(name: str) -> None:
    original = project_template()
    snapshot = repr(original)

    variant = VARIANTS[name](None)

    assert variant != original
    assert repr(original) == snapshot


def test_a_written_template_reads_back_as_the_same_template(tmp_path: Path) -> None:
    path = write_template(project_template(), tmp_path)

    assert load_template(path) == project_template()
    # The artifact directories it names are the repository's own, so the variant translates alike.
    for directory in ("src", "statemachine", "graphql"):
        assert (tmp_path / directory).resolve() == REPOSITORY_ROOT / directory


# ---------------------------------------------------------------- what the linters catch


@pytest.mark.static_gate
def test_the_unchanged_template_translates_and_validates(reports: dict[str, GateReport]) -> None:
    # The baseline every other test compares with: it went through every gate.
    gates = {finding.gate for finding in reports["unchanged"].findings}
    assert Gate.TRANSLATE not in gates
    assert Gate.SAM_VALIDATE not in gates


@pytest.mark.static_gate
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_variant_fails_exactly_the_expected_gates(reports: dict[str, GateReport], name: str) -> None:
    assert {_key(finding) for finding in _new(reports, name)} == EXPECTED[name]


@pytest.mark.static_gate
def test_a_misspelled_action_is_named_by_cfn_lint_and_parliament(reports: dict[str, GateReport]) -> None:
    new = _new(reports, "misspelled_iam_action")

    (w3037,) = [finding for finding in new if finding.rule == "W3037"]
    assert "'putitems' is not one of" in w3037.message
    (unknown,) = [finding for finding in new if finding.rule == "UNKNOWN_ACTION"]
    assert unknown.details == ("Unknown action dynamodb:PutItems",)
    assert unknown.document == "inline:ReserveBookingFunctionRolePolicy0"


@pytest.mark.static_gate
def test_cfn_lint_does_not_check_action_names_in_the_sam_template(reports: dict[str, GateReport]) -> None:
    assert not reports["misspelled_iam_action"].of(Gate.CFN_LINT_SAM, "W3037")


@pytest.mark.static_gate
def test_sam_validate_names_the_bad_policy_template_and_the_missing_parameter(
    reports: dict[str, GateReport],
) -> None:
    (template,) = reports["misspelled_policy_template"].of(Gate.SAM_VALIDATE)
    (parameter,) = reports["misspelled_policy_template_parameter"].of(Gate.SAM_VALIDATE)

    assert "Policy at index 0 in the 'Policies' property is not valid" in template.message
    assert "SNSPublishMessagePolicy" in parameter.message
    assert "TopicName" in parameter.message


@pytest.mark.static_gate
def test_a_star_resource_is_seen_only_once_the_policy_is_a_plain_iam_policy(
    reports: dict[str, GateReport],
) -> None:
    (star,) = [finding for finding in _new(reports, "dynamodb_statement_on_any_resource") if finding.details]

    assert star.details == ("dynamodb:PutItem",)
    assert not reports["dynamodb_statement_on_any_resource"].of(Gate.CHECKOV_SAM, "CKV_AWS_111")


# ---------------------------------------------------------------- what no linter can catch


@pytest.mark.static_gate
@pytest.mark.parametrize("name", ["loyalty_api_deny_removed", "loyalty_grant_widened", "shared_role"])
def test_no_linter_notices(reports: dict[str, GateReport], name: str) -> None:
    # Every policy left is valid and scoped: only a test that knows what the application needs (one
    # caller, one route, one role per function) can tell these from the real template.
    assert _new(reports, name) == []


def _policies(template: Template) -> StackPolicies:
    return stack_policies(template)


def _invoke(
    policies: StackPolicies, caller: Principal, identity: Sequence[Mapping[str, object]], path: str
) -> bool:
    api_id = policies.resolver.ref("LoyaltyApi")
    request = AccessRequest(
        caller, "execute-api:Invoke", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{path}"
    )
    decision = evaluate(request, identity_policies=identity, resource_policy=policies.loyalty_api_policy())
    return decision.allowed


def test_without_the_deny_any_role_of_the_account_that_may_invoke_apis_gets_in() -> None:
    # An operator role with a broad but ordinary grant, as many accounts have.
    operator = Principal.role_session(f"arn:aws:iam::{ACCOUNT}:role/ops-tools", "ops")
    broad = [
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        }
    ]

    with_deny = _policies(project_template())
    without_deny = _policies(VARIANTS["loyalty_api_deny_removed"](None))

    assert not _invoke(with_deny, operator, broad, "dev/GET/loyalty/customer-1/get")
    assert _invoke(without_deny, operator, broad, "dev/GET/loyalty/customer-1/get")


def test_the_widened_grant_lets_the_appsync_role_call_any_route_of_any_stage() -> None:
    widened = VARIANTS["loyalty_grant_widened"](None)

    assert _role_allows(project_template(), "dev/GET/loyalty/customer-1/get")
    assert not _role_allows(project_template(), "prod/POST/loyalty/customer-1/get")
    # Every stage, method and path - of this API, and of any route added to it later.
    assert _role_allows(widened, "prod/POST/loyalty/customer-1/get")
    assert _role_allows(widened, "dev/DELETE/admin/everything")


def _role_allows(template: Template, path: str) -> bool:
    """Whether the AppSync loyalty role's own policies allow invoking ``path`` (no resource policy)."""
    policies = _policies(template)
    role = policies.roles["LoyaltyDataSourceRole"]
    api_id = policies.resolver.ref("LoyaltyApi")
    request = AccessRequest(
        Principal.role_session(role.arn, "appsync"),
        "execute-api:Invoke",
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{path}",
    )
    return evaluate(request, identity_policies=role.documents()).allowed


def test_with_a_shared_role_each_function_holds_the_others_permissions() -> None:
    def may(template: Template, function: str, action: str) -> bool:
        policies = _policies(template)
        role = policies.role_of(function)
        table = policies.resolver.get_att("BookingTable", "Arn")
        caller = Principal.role_session(role.arn, function)
        return evaluate(AccessRequest(caller, action, table), identity_policies=role.documents()).allowed

    shared = VARIANTS["shared_role"](None)

    assert _policies(shared).role_of("ReserveBookingFunction") == _policies(shared).role_of(
        "ConfirmBookingFunction"
    )
    assert not may(project_template(), "ReserveBookingFunction", "dynamodb:UpdateItem")
    assert may(shared, "ReserveBookingFunction", "dynamodb:UpdateItem")
    assert may(shared, "ConfirmBookingFunction", "dynamodb:PutItem")


# ---------------------------------------------------------------- the web app's hosting


@pytest.mark.static_gate
def test_the_static_gate_passes_on_the_web_template(scanned: Scanned) -> None:
    assert scanned.web["unchanged"].findings == ()


@pytest.mark.static_gate
@pytest.mark.parametrize("name", sorted(web.VARIANTS))
def test_each_web_variant_fails_exactly_the_expected_checks(scanned: Scanned, name: str) -> None:
    found = {(finding.rule, finding.resource) for finding in scanned.web[name].findings}
    gates = {finding.gate for finding in scanned.web[name].findings}

    assert found == web.EXPECTED[name]
    assert gates <= {Gate.CHECKOV_SAM, Gate.CHECKOV_TRANSLATED}


# ---------------------------------------------------------------- the CI deploy roles


@pytest.mark.static_gate
def test_cfn_lint_and_checkov_find_nothing_on_the_deploy_roles(scanned: Scanned) -> None:
    linted = [f for f in scanned.deploy_role if f.gate in {"cfn-lint/deploy-role", "checkov/deploy-role"}]

    assert [finding.describe() for finding in linted] == []


@pytest.mark.static_gate
def test_parliament_reports_only_what_its_older_iam_data_gets_wrong_on_the_deploy_roles(
    scanned: Scanned,
) -> None:
    findings = [finding for finding in scanned.deploy_role if finding.gate == Gate.PARLIAMENT]

    assert sorted((f.rule, f.resource, f.details) for f in findings) == [
        # The SAM transform's ARN has "aws" where an account id usually is
        # (arn:aws:cloudformation:REGION:aws:transform/Serverless-2016-10-31).
        ("INVALID_ARN", "GitHubDeployRole", ("Account expected to be of form like 123456789012",)),
        # Newer than parliament 1.6.4's action list; cfn-lint's (W3037, test above) knows them, and the
        # resource handlers' permissions name them.
        ("UNKNOWN_ACTION", "CloudFormationExecutionRole", ("Unknown action appsync:AssociateWebACL",)),
        ("UNKNOWN_ACTION", "CloudFormationExecutionRole", ("Unknown action appsync:DisassociateWebACL",)),
        ("UNKNOWN_ACTION", "CloudFormationExecutionRole", ("Unknown action appsync:GetWebACLForResource",)),
        (
            "UNKNOWN_ACTION",
            "CloudFormationExecutionRole",
            ("Unknown action cognito-idp:ListUserPoolClientSecrets",),
        ),
        (
            "UNKNOWN_ACTION",
            "CloudFormationExecutionRole",
            ("Unknown action lambda:GetFunctionScalingConfig",),
        ),
    ]
