"""Known-bad variants of template.yaml, for checking that the security checks catch what they claim to.

Each variant function takes a template (as loaded by ``stacktools.template.load_template``; the
project's template when omitted), returns a modified deep copy and never touches the original or the
file it came from. A variant finds the statement or property it changes by its Sid or logical id and
raises ``VariantError`` if the template no longer has it, so a test built on a variant fails loudly
instead of quietly checking an unchanged template.

``write_template`` writes a variant where the command-line tools can read it, next to links to the
directories its relative artifact paths name (``src/``, ``statemachine/``, ``graphql/``), so the
variant differs from template.yaml only by the change the variant makes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from stacktools.template import REPOSITORY_ROOT, project_template

type Template = dict[str, Any]
type Statement = dict[str, Any]


class VariantError(LookupError):
    """The template does not have the resource or statement a variant changes."""


def _copy_of(template: Template | None) -> Template:
    return copy.deepcopy(project_template() if template is None else template)


def _resource(template: Template, logical_id: str, resource_type: str) -> dict[str, Any]:
    resource = template.get("Resources", {}).get(logical_id)
    if not isinstance(resource, dict) or resource.get("Type") != resource_type:
        raise VariantError(f"the template has no {resource_type} named {logical_id}")
    return resource


def _statements_of(document: dict[str, Any]) -> list[Statement]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _function_statements(template: Template, function: str) -> Iterator[Statement]:
    """The statements of the inline policy documents in a function's ``Policies``."""
    resource = _resource(template, function, "AWS::Serverless::Function")
    for policy in resource["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            yield from _statements_of(policy)


def _function_statement(template: Template, function: str, sid: str) -> Statement:
    for statement in _function_statements(template, function):
        if statement.get("Sid") == sid:
            return statement
    raise VariantError(f"{function} has no policy statement with Sid {sid}")


def _policy_template(template: Template, function: str, name: str) -> dict[str, Any]:
    """The parameters of a SAM policy template (``- SNSPublishMessagePolicy: {...}``) of a function."""
    resource = _resource(template, function, "AWS::Serverless::Function")
    for policy in resource["Properties"].get("Policies", []):
        if isinstance(policy, dict) and name in policy:
            parameters: dict[str, Any] = policy[name]
            return parameters
    raise VariantError(f"{function} does not use the SAM policy template {name}")


def _rename_key(mapping: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping its position (the written YAML stays diffable)."""
    items = [(new if key == old else key, value) for key, value in mapping.items()]
    mapping.clear()
    mapping.update(items)


# ---------------------------------------------------------------- identity policies of functions


def wildcard_action(template: Template | None = None) -> Template:
    """ReserveBooking's DynamoDB statement allows every action (``*``) on the booking table."""
    variant = _copy_of(template)
    _function_statement(variant, "ReserveBookingFunction", "CreateBookingOnly")["Action"] = "*"
    return variant


def misspelled_iam_action(template: Template | None = None) -> Template:
    """ReserveBooking's statement names ``dynamodb:PutItems``, an action that does not exist.

    IAM accepts unknown action names without complaint; the function would then fail with
    AccessDenied on its first PutItem in the deployed stack.
    """
    variant = _copy_of(template)
    _function_statement(variant, "ReserveBookingFunction", "CreateBookingOnly")["Action"] = (
        "dynamodb:PutItems"
    )
    return variant


def dynamodb_statement_on_any_resource(template: Template | None = None) -> Template:
    """ReserveBooking may PutItem on every table of the account (``Resource: "*"``)."""
    variant = _copy_of(template)
    _function_statement(variant, "ReserveBookingFunction", "CreateBookingOnly")["Resource"] = "*"
    return variant


def misspelled_policy_template(template: Template | None = None) -> Template:
    """NotifyBooking asks for ``SNSPublishMessagePolicyy``, a SAM policy template that does not exist."""
    variant = _copy_of(template)
    resource = _resource(variant, "NotifyBookingFunction", "AWS::Serverless::Function")
    policies = resource["Properties"]["Policies"]
    for policy in policies:
        if isinstance(policy, dict) and "SNSPublishMessagePolicy" in policy:
            _rename_key(policy, "SNSPublishMessagePolicy", "SNSPublishMessagePolicyy")
            return variant
    raise VariantError("NotifyBookingFunction does not use the SAM policy template SNSPublishMessagePolicy")


def misspelled_policy_template_parameter(template: Template | None = None) -> Template:
    """NotifyBooking's ``SNSPublishMessagePolicy`` gets ``TopicNam`` instead of ``TopicName``."""
    variant = _copy_of(template)
    parameters = _policy_template(variant, "NotifyBookingFunction", "SNSPublishMessagePolicy")
    if "TopicName" not in parameters:
        raise VariantError("NotifyBookingFunction's SNSPublishMessagePolicy has no TopicName")
    _rename_key(parameters, "TopicName", "TopicNam")
    return variant


def shared_role(template: Template | None = None) -> Template:
    """ReserveBooking and ConfirmBooking act with one hand-written role holding both their grants.

    Every statement in it is valid and scoped (the booking table, the stack's log groups); what is
    wrong is that each function now also holds the other's permission (ReserveBooking may UpdateItem,
    ConfirmBooking may PutItem), which no linter can know the code does not need.
    """
    variant = _copy_of(template)
    functions = ("ReserveBookingFunction", "ConfirmBookingFunction")
    statements: list[Statement] = []
    for function in functions:
        resource = _resource(variant, function, "AWS::Serverless::Function")
        statements.extend(copy.deepcopy(list(_function_statements(variant, function))))
        # With Role set SAM generates no role for the function; its Policies move into the shared one.
        resource["Properties"].pop("Policies", None)
        resource["Properties"]["Role"] = {"Fn::GetAtt": ["BookingFunctionsRole", "Arn"]}
    for index, statement in enumerate(statements):
        statement["Sid"] = f"{statement.get('Sid', 'Statement')}{index}"
    # Log writes scoped to the stack's function log groups, as a careful author would write them. The
    # role cannot name the functions' own log groups: they depend on the functions, which depend on it.
    statements.append(
        {
            "Sid": "WriteFunctionLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
                ":log-group:/aws/lambda/${AWS::StackName}-*:*"
            },
        }
    )
    variant["Resources"]["BookingFunctionsRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"},
            ],
            "Policies": [
                {
                    "PolicyName": "BookingTableWrites",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }
    return variant


# ---------------------------------------------------------------- the loyalty API boundary


def _loyalty_api_statements(template: Template) -> list[Statement]:
    api = _resource(template, "LoyaltyApi", "AWS::Serverless::Api")
    try:
        statements: list[Statement] = api["Properties"]["Auth"]["ResourcePolicy"]["CustomStatements"]
    except KeyError:
        raise VariantError("LoyaltyApi has no Auth.ResourcePolicy.CustomStatements") from None
    return statements


def loyalty_api_deny_removed(template: Template | None = None) -> Template:
    """The loyalty API's resource policy loses its ``DenyEveryoneElse`` statement.

    What is left is valid and looks strict - one Allow for the AppSync role - but in the same account
    an Allow in the caller's own identity policy is enough, so any role with ``execute-api:Invoke``
    on ``*`` could call the API again.
    """
    variant = _copy_of(template)
    statements = _loyalty_api_statements(variant)
    kept = [statement for statement in statements if statement.get("Sid") != "DenyEveryoneElse"]
    if len(kept) == len(statements):
        raise VariantError("LoyaltyApi's resource policy has no DenyEveryoneElse statement")
    statements[:] = kept
    return variant


def loyalty_grant_widened(template: Template | None = None) -> Template:
    """The AppSync loyalty role may invoke every stage, method and path of the API (``.../*/*/*``)."""
    variant = _copy_of(template)
    policy = _resource(variant, "LoyaltyDataSourcePolicy", "AWS::IAM::Policy")
    for statement in _statements_of(policy["Properties"]["PolicyDocument"]):
        if statement.get("Sid") == "InvokeGetLoyaltyOnly":
            api = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${LoyaltyApi}"
            statement["Resource"] = {"Fn::Sub": f"{api}/*/*/*"}
            return variant
    raise VariantError("LoyaltyDataSourcePolicy has no statement with Sid InvokeGetLoyaltyOnly")


# ---------------------------------------------------------------- resources added later


def table_added(template: Template | None = None) -> Template:
    """A fifth table, set up like the others: encrypted with the AWS managed key, which .checkov.yaml
    accepts for every table (CKV_AWS_119). The linters pass it; docs/accepted-findings.md must name it
    (tests/template/test_accepted_findings.py), so that the stack-wide decision is made for it too."""
    variant = _copy_of(template)
    source = _resource(variant, "PaymentTable", "AWS::DynamoDB::Table")
    variant["Resources"]["RefundRequestTable"] = copy.deepcopy(source)
    return variant


def unencrypted_topic_added(template: Template | None = None) -> Template:
    """A second booking topic without the booking topic's own reasoned skip: SNS encryption (CKV_AWS_26)
    is accepted topic by topic, never stack-wide, so the new topic fails the gate."""
    variant = _copy_of(template)
    source = _resource(variant, "BookingTopic", "AWS::SNS::Topic")
    variant["Resources"]["RefundTopic"] = {
        "Type": "AWS::SNS::Topic",
        "Properties": copy.deepcopy(source["Properties"]),
    }
    return variant


VARIANTS: dict[str, Callable[[Template | None], Template]] = {
    "wildcard_action": wildcard_action,
    "misspelled_iam_action": misspelled_iam_action,
    "dynamodb_statement_on_any_resource": dynamodb_statement_on_any_resource,
    "misspelled_policy_template": misspelled_policy_template,
    "misspelled_policy_template_parameter": misspelled_policy_template_parameter,
    "shared_role": shared_role,
    "loyalty_api_deny_removed": loyalty_api_deny_removed,
    "loyalty_grant_widened": loyalty_grant_widened,
    "table_added": table_added,
    "unencrypted_topic_added": unencrypted_topic_added,
}
"""Every variant by name."""


# ---------------------------------------------------------------- writing a variant to disk

# Properties holding a path relative to the template that `sam build` / `sam package` read.
_ARTIFACT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::AppSync::GraphQLSchema": ("DefinitionS3Location",),
    "AWS::AppSync::Resolver": ("CodeS3Location", "RequestMappingTemplateS3Location"),
    "AWS::AppSync::FunctionConfiguration": ("CodeS3Location", "RequestMappingTemplateS3Location"),
}


def _local_artifact_paths(template: Template) -> set[str]:
    values: list[Any] = [template.get("Globals", {}).get("Function", {}).get("CodeUri")]
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {}) if isinstance(resource, dict) else {}
        values.extend(properties.get(name) for name in _ARTIFACT_PROPERTIES.get(resource.get("Type"), ()))
    return {value for value in values if isinstance(value, str) and "://" not in value}


def write_template(
    template: Template, directory: Path, name: str = "template.yaml", source_root: Path = REPOSITORY_ROOT
) -> Path:
    """Write ``template`` as YAML to ``directory/name`` and link the artifact directories it names.

    Intrinsics are written in their long form (``Fn::GetAtt: [...]``), which every tool reads like
    the short form. The links point into ``source_root`` (the repository), so translating the variant
    inlines the real state machine definition.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for relative in sorted(_local_artifact_paths(template)):
        top = Path(relative).parts[0]
        link, target = directory / top, source_root / top
        if target.exists() and not link.exists():
            link.symlink_to(target, target_is_directory=target.is_dir())
    path = directory / name
    path.write_text(yaml.safe_dump(template, sort_keys=False, width=120), encoding="utf-8")
    return path
