"""Structural rules of template.yaml and of what SAM turns it into."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.audit import shared_role
from tests.support.template import (
    REPOSITORY_ROOT,
    function_specs,
    offline_resolver,
    project_template,
    resources_of_type,
    translate,
)

TEMPLATE = project_template()
FUNCTIONS = function_specs(TEMPLATE)
EXPECTED_FUNCTIONS = {
    "ReserveBookingFunction",
    "ConfirmBookingFunction",
    "CancelBookingFunction",
    "NotifyBookingFunction",
    "CollectPaymentFunction",
    "RefundPaymentFunction",
    "IngestLoyaltyFunction",
    "GetLoyaltyFunction",
}
# Error names Step Functions reports (service integrations are prefixed with the service name).
KNOWN_ERROR_NAMES = re.compile(
    r"^(States\.(ALL|Timeout|TaskFailed|Permissions)"
    r"|Lambda\.(ServiceException|AWSLambdaException|SdkClientException|TooManyRequestsException)"
    r"|DynamoDB\.(ConditionalCheckFailedException|ProvisionedThroughputExceededException"
    r"|RequestLimitExceeded|ThrottlingException|InternalServerErrorException))$"
)


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translate()


def test_the_stack_has_its_single_purpose_functions() -> None:
    assert set(FUNCTIONS) == EXPECTED_FUNCTIONS


def effective(logical_id: str, name: str) -> Any:
    """A function property as SAM applies it: the function's own, else Globals.Function's.

    None when neither sets it, i.e. when SAM's default (128 MB, 3 s, no tracing) would apply unseen.
    """
    own = TEMPLATE["Resources"][logical_id]["Properties"]
    return own.get(name, TEMPLATE.get("Globals", {}).get("Function", {}).get(name))


@pytest.mark.parametrize("logical_id", sorted(EXPECTED_FUNCTIONS))
def test_every_function_runs_python_313_on_arm64_with_explicit_limits_and_tracing(logical_id: str) -> None:
    """Memory and timeout must be written down, in Globals or on the function (the function's own
    value wins); relying on SAM's defaults fails."""
    assert effective(logical_id, "Runtime") == "python3.13"
    assert effective(logical_id, "Architectures") == ["arm64"]
    memory, timeout = effective(logical_id, "MemorySize"), effective(logical_id, "Timeout")
    assert isinstance(memory, int), f"{logical_id}: MemorySize is not set"
    assert isinstance(timeout, int), f"{logical_id}: Timeout is not set"
    assert 128 <= memory <= 10_240
    assert 1 <= timeout <= 900
    assert effective(logical_id, "Tracing") == "Active"


def test_the_loyalty_queue_outlasts_six_ingest_timeouts() -> None:
    """Lambda's advice for SQS event sources: a message is not redelivered while a batch still runs."""
    visibility = TEMPLATE["Resources"]["LoyaltyQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * effective("IngestLoyaltyFunction", "Timeout")


def test_get_loyalty_answers_within_api_gateways_integration_timeout() -> None:
    assert effective("GetLoyaltyFunction", "Timeout") < 29


@pytest.mark.parametrize("logical_id", sorted(EXPECTED_FUNCTIONS))
def test_every_function_has_a_log_group_with_retention(logical_id: str) -> None:
    groups = [
        resource["Properties"]
        for resource in resources_of_type(TEMPLATE, "AWS::Logs::LogGroup").values()
        if resource["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
    ]
    assert len(groups) == 1
    assert groups[0]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


def shared_roles(translated: dict[str, Any]) -> dict[str, list[str]]:
    """Roles that more than one function acts with (role -> functions)."""
    users: dict[str, list[str]] = {}
    for logical_id, resource in translated["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            role = json.dumps(resource["Properties"]["Role"], sort_keys=True)
            users.setdefault(role, []).append(logical_id)
    return {role: functions for role, functions in users.items() if len(functions) > 1}


def test_every_function_gets_its_own_role(translated: dict[str, Any]) -> None:
    assert shared_roles(translated) == {}
    for logical_id in EXPECTED_FUNCTIONS:
        assert translated["Resources"][logical_id]["Properties"]["Role"] == {
            "Fn::GetAtt": [f"{logical_id}Role", "Arn"]
        }
        assert "Role" not in TEMPLATE["Resources"][logical_id]["Properties"]


def test_a_role_shared_by_two_functions_is_caught() -> None:
    """No linter flags it (tests/security shows that); this test does."""
    assert shared_roles(translate(shared_role())) != {}


def _statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy_document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


LOG_DELIVERY_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
"""What Step Functions needs to deliver a state machine's logs: CloudWatch Logs accepts them on "*" only."""


def test_no_inline_policy_has_a_wildcard_action_or_a_star_resource(translated: dict[str, Any]) -> None:
    """But the state machine's log delivery, whose actions have no resource-level permissions."""
    for logical_id, resource in translated["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
        elif resource["Type"] == "AWS::IAM::Policy":
            documents = [resource["Properties"]["PolicyDocument"]]
        else:
            continue
        for document in documents:
            for statement in _statements(document):
                for action in _as_list(statement["Action"]):
                    assert "*" not in action, f"{logical_id}: wildcard action {action}"
                if (logical_id, statement.get("Sid")) == ("BookingStateMachineRole", "DeliverExecutionLogs"):
                    assert set(statement["Action"]) == LOG_DELIVERY_ACTIONS
                    continue
                for target in _as_list(statement["Resource"]):
                    assert target != "*", f"{logical_id}: Resource '*' for {statement['Action']}"


def test_sam_attaches_only_the_logging_and_tracing_managed_policies(translated: dict[str, Any]) -> None:
    """In particular not AWSLambdaSQSQueueExecutionRole (sqs:* on every queue) for IngestLoyalty."""
    allowed = {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    }
    resolver = offline_resolver(TEMPLATE)
    for logical_id in [*EXPECTED_FUNCTIONS, "BookingStateMachine"]:
        role = translated["Resources"][f"{logical_id}Role"]["Properties"]
        assert set(resolver.resolve(role.get("ManagedPolicyArns", []))) <= allowed, logical_id


def test_notify_booking_uses_the_sns_publish_policy_template() -> None:
    assert FUNCTIONS["NotifyBookingFunction"].policies == [
        {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["BookingTopic", "TopicName"]}}}
    ]


def test_the_loyalty_api_requires_sigv4_and_admits_only_the_appsync_role(
    translated: dict[str, Any],
) -> None:
    auth = TEMPLATE["Resources"]["LoyaltyApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "AWS_IAM"
    body = translated["Resources"]["LoyaltyApi"]["Properties"]["Body"]
    integration = body["paths"]["/loyalty/{customerId}/get"]["get"]["x-amazon-apigateway-integration"]
    # No caller credentials on the integration: API Gateway invokes GetLoyalty through its own
    # resource-based permission, so callers need execute-api:Invoke and nothing on Lambda.
    assert "credentials" not in integration
    statements = body["x-amazon-apigateway-policy"]["Statement"]
    role = {"Fn::GetAtt": ["LoyaltyDataSourceRole", "Arn"]}
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": role}}
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"AWS": role}


def test_the_appsync_loyalty_role_may_invoke_one_route_of_one_stage() -> None:
    policy = TEMPLATE["Resources"]["LoyaltyDataSourcePolicy"]["Properties"]["PolicyDocument"]
    [statement] = _statements(policy)
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${LoyaltyApi}/${Stage}/GET/loyalty/*/get"
    }


def _asl() -> dict[str, Any]:
    properties = TEMPLATE["Resources"]["BookingStateMachine"]["Properties"]
    definition: dict[str, Any] = json.loads(
        (REPOSITORY_ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
    )
    return definition


def test_every_placeholder_of_the_state_machine_is_substituted() -> None:
    properties = TEMPLATE["Resources"]["BookingStateMachine"]["Properties"]
    text = (REPOSITORY_ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert placeholders == set(properties["DefinitionSubstitutions"])
    assert properties["Type"] == "STANDARD"
    assert properties["Tracing"] == {"Enabled": True}


def test_retries_and_catches_name_errors_as_step_functions_reports_them() -> None:
    for name, state in _asl()["States"].items():
        for rule in [*state.get("Retry", []), *state.get("Catch", [])]:
            for error in rule["ErrorEquals"]:
                domain_error = re.fullmatch(r"[A-Z][A-Za-z]+Error", error)
                assert KNOWN_ERROR_NAMES.match(error) or domain_error, f"{name}: {error}"
