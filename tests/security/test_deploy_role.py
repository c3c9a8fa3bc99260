"""The CI deploy roles (deploy/github-oidc-deploy-role.yaml): their boundaries evaluated (the linters'
verdicts on them are asserted in test_static_gate_variants.py, which runs each tool once for every template).

* The GitHub role is assumable only with a GitHub Actions token for STS from one branch of one
  repository, and may only hand the stack to CloudFormation with the execution role.
* The execution role may do what CloudFormation's resource handlers need for every resource type
  of the application's translated template, on resources named after the stack - and not on another
  stack's.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.support.audit import (
    SAM_ENV,
    RolePolicies,
    expanded_policies,
)
from tests.support.iam import AccessRequest, ContextValue, Principal, evaluate
from tests.support.stack import ACCOUNT_ID as ACCOUNT
from tests.support.stack import REGION
from tests.support.template import REPOSITORY_ROOT, load_template, offline_resolver, translate

TEMPLATE_PATH = REPOSITORY_ROOT / "deploy" / "github-oidc-deploy-role.yaml"
STACK = "airline-dev"
OWNER, REPOSITORY = "example-org", "serverless-airline"
TOKEN_ISSUER = "token.actions.githubusercontent.com"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{TOKEN_ISSUER}"


def _roles(**parameters: str) -> dict[str, RolePolicies]:
    template = load_template(TEMPLATE_PATH)
    given = {"GitHubOwner": OWNER, "GitHubRepository": REPOSITORY, **parameters}
    resolver = offline_resolver(template, account_id=ACCOUNT, region=REGION, parameters=given)
    return expanded_policies(template, resolver)


ROLES = _roles(CreateGitHubOidcProvider="false")
GITHUB_ROLE = ROLES["GitHubDeployRole"]
EXECUTION_ROLE = ROLES["CloudFormationExecutionRole"]


def test_every_statement_has_a_sid_and_a_comment_giving_its_reason() -> None:
    lines = TEMPLATE_PATH.read_text(encoding="utf-8").splitlines()
    statements = [index for index, line in enumerate(lines) if re.match(r"^\s*- Sid: \w+$", line)]

    assert len(statements) == sum(
        len(document["Statement"]) for role in ROLES.values() for document in role.inline.values()
    ) + len(ROLES)  # every inline statement and every trust statement
    for index in statements:
        assert lines[index - 1].strip().startswith("#"), f"no comment above line {index + 1}: {lines[index]}"


# ---------------------------------------------------------------- who may assume the GitHub role


def _token(sub: str, aud: str = "sts.amazonaws.com") -> dict[str, ContextValue]:
    return {f"{TOKEN_ISSUER}:sub": sub, f"{TOKEN_ISSUER}:aud": aud}


def _trust_statement(roles: dict[str, RolePolicies]) -> dict[str, Any]:
    (statement,) = roles["GitHubDeployRole"].trust_policy["Statement"]
    return dict(statement)


def _may_assume(context: dict[str, ContextValue]) -> bool:
    """Whether STS would accept a token with these claims for the GitHub role.

    iam_eval does not model web identity principals, so the statement's principal is checked
    structurally (test_only_githubs_provider_is_trusted) and its conditions are evaluated here for an
    unsigned caller - which is what an AssumeRoleWithWebIdentity request is.
    """
    statement = {**_trust_statement(ROLES), "Principal": "*"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    request = AccessRequest(Principal.anonymous(), "sts:AssumeRoleWithWebIdentity", GITHUB_ROLE.arn, context)
    return evaluate(request, identity_policies=[], resource_policy=policy).allowed


def test_only_githubs_provider_is_trusted() -> None:
    statement = _trust_statement(ROLES)

    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    # Created by this template when asked to: then the role trusts that provider, whose ARN (its Ref)
    # is the same.
    created = _trust_statement(_roles(CreateGitHubOidcProvider="true"))
    assert created["Principal"] == {"Federated": PROVIDER_ARN}
    provider = load_template(TEMPLATE_PATH)["Resources"]["GitHubOidcProvider"]
    assert provider["Condition"] == "CreateProvider"
    assert provider["Properties"]["Url"] == f"https://{TOKEN_ISSUER}"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]


def test_a_run_on_main_of_the_repository_may_assume_it() -> None:
    assert _may_assume(_token(f"repo:{OWNER}/{REPOSITORY}:ref:refs/heads/main"))


@pytest.mark.parametrize(
    "sub",
    [
        f"repo:{OWNER}/{REPOSITORY}:ref:refs/heads/feature",  # another branch
        f"repo:{OWNER}/{REPOSITORY}:ref:refs/heads/main-copy",  # a branch whose name starts alike
        f"repo:{OWNER}/{REPOSITORY}:ref:refs/tags/v1.0.0",  # a tag
        f"repo:{OWNER}/{REPOSITORY}:pull_request",  # a pull request, forks' included
        f"repo:{OWNER}/{REPOSITORY}:environment:production",  # a job with an environment
        f"repo:{OWNER}/other-repository:ref:refs/heads/main",  # another repository of the owner
        f"repo:someone-else/{REPOSITORY}:ref:refs/heads/main",  # a fork or a namesake
    ],
)
def test_a_token_for_another_ref_or_repository_is_refused(sub: str) -> None:
    assert not _may_assume(_token(sub))


def test_a_token_for_another_audience_or_without_claims_is_refused() -> None:
    main = f"repo:{OWNER}/{REPOSITORY}:ref:refs/heads/main"

    assert not _may_assume(_token(main, aud="https://github.com/example-org"))
    assert not _may_assume({f"{TOKEN_ISSUER}:aud": "sts.amazonaws.com"})
    assert not _may_assume({})


def test_the_branch_is_a_parameter() -> None:
    roles = _roles(CreateGitHubOidcProvider="false", Branch="release")
    condition = _trust_statement(roles)["Condition"]["StringEquals"]

    assert condition[f"{TOKEN_ISSUER}:sub"] == f"repo:{OWNER}/{REPOSITORY}:ref:refs/heads/release"


# ---------------------------------------------------------------- what the GitHub role may do


def _allowed(
    role: RolePolicies, action: str, resource: str, context: Mapping[str, ContextValue] | None = None
) -> bool:
    caller = Principal.role_session(role.arn, "test")
    request = AccessRequest(caller, action, resource, context or {})
    return evaluate(request, identity_policies=role.documents()).allowed


def _stack_arn(stack: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack}/0d4c9e30-0000-11ef-0000-0a1b2c3d4e5f"


ARTIFACTS = "arn:aws:s3:::aws-sam-cli-managed-default-samclisourcebucket-1a2b3c4d5e6f"


@pytest.mark.parametrize(
    "action",
    ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DescribeStacks"],
)
def test_the_github_role_deploys_its_stack_and_no_other(action: str) -> None:
    assert _allowed(GITHUB_ROLE, action, _stack_arn(STACK))
    assert not _allowed(GITHUB_ROLE, action, _stack_arn("airline-prod"))
    assert not _allowed(GITHUB_ROLE, action, _stack_arn(f"{STACK}-other"))


def test_the_github_role_may_use_the_sam_transform_and_find_the_artifact_bucket() -> None:
    transform = f"arn:aws:cloudformation:{REGION}:aws:transform/Serverless-2016-10-31"

    assert _allowed(GITHUB_ROLE, "cloudformation:CreateChangeSet", transform)
    assert _allowed(GITHUB_ROLE, "cloudformation:DescribeStacks", _stack_arn("aws-sam-cli-managed-default"))
    assert not _allowed(
        GITHUB_ROLE, "cloudformation:CreateChangeSet", _stack_arn("aws-sam-cli-managed-default")
    )


def test_the_github_role_uploads_artifacts_under_its_stack_prefix_only() -> None:
    assert _allowed(GITHUB_ROLE, "s3:PutObject", f"{ARTIFACTS}/{STACK}/4f1c2b.template")
    assert not _allowed(GITHUB_ROLE, "s3:PutObject", f"{ARTIFACTS}/airline-prod/4f1c2b.template")
    assert not _allowed(GITHUB_ROLE, "s3:DeleteObject", f"{ARTIFACTS}/{STACK}/4f1c2b.template")
    assert not _allowed(GITHUB_ROLE, "s3:PutObject", f"arn:aws:s3:::another-bucket/{STACK}/x")


def test_the_github_role_passes_only_the_execution_role_and_only_to_cloudformation() -> None:
    to_cloudformation = {"iam:PassedToService": "cloudformation.amazonaws.com"}

    assert _allowed(GITHUB_ROLE, "iam:PassRole", EXECUTION_ROLE.arn, to_cloudformation)
    assert not _allowed(
        GITHUB_ROLE, "iam:PassRole", EXECUTION_ROLE.arn, {"iam:PassedToService": "ec2.amazonaws.com"}
    )
    assert not _allowed(GITHUB_ROLE, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", to_cloudformation)


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{STACK}-Anything"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{STACK}-GetLoyaltyFunctionRole-1A2B"),
        (
            "lambda:UpdateFunctionCode",
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-GetLoyaltyFunction-1A2B",
        ),
        ("dynamodb:Scan", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STACK}-LoyaltyTable-1A2B"),
        ("cloudformation:DeleteStack", _stack_arn(STACK)),
    ],
)
def test_the_github_role_cannot_change_resources_itself(action: str, resource: str) -> None:
    # Everything the stack contains is changed by CloudFormation with the execution role, or not at all.
    assert not _allowed(GITHUB_ROLE, action, resource)


def test_the_deployed_tests_may_seed_flights_and_act_as_the_loyalty_role_of_the_stack() -> None:
    flights = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STACK}-FlightTable-1A2B"
    loyalty_role = f"arn:aws:iam::{ACCOUNT}:role/{STACK}-LoyaltyDataSourceRole-1A2B"

    assert _allowed(GITHUB_ROLE, "dynamodb:PutItem", flights)
    assert not _allowed(
        GITHUB_ROLE,
        "dynamodb:PutItem",
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{STACK}-BookingTable-1A2B",
    )
    assert _allowed(GITHUB_ROLE, "sts:AssumeRole", loyalty_role)
    assert not _allowed(
        GITHUB_ROLE, "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/airline-prod-LoyaltyDataSourceRole-1A2B"
    )


# ---------------------------------------------------------------- what the execution role may do


@cache
def _handler_permissions() -> dict[str, dict[str, list[str]]]:
    """CloudFormation's resource handler permissions by type, from the resource schemas cfn-lint ships."""
    located = subprocess.run(  # noqa: S603 - the tool environment's own interpreter
        [str(SAM_ENV / "bin" / "python"), "-c", "import cfnlint.data.schemas as s; print(s.__path__[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    schemas = Path(located.stdout.strip())
    providers = json.loads((schemas / "providers" / f"{REGION}.json").read_text(encoding="utf-8"))
    permissions: dict[str, dict[str, list[str]]] = {}
    for resource_type, schema_id in providers.items():
        schema_file = schemas / "resources" / f"{schema_id}.json"
        if isinstance(schema_id, str) and schema_file.exists():
            handlers = json.loads(schema_file.read_text(encoding="utf-8")).get("handlers", {})
            permissions[resource_type] = {
                handler: list(spec.get("permissions", [])) for handler, spec in handlers.items()
            }
    return permissions


# Handler permissions for properties the application does not use, and why none is needed.
NOT_NEEDED: dict[str, str] = {
    "kms:*": "no customer managed KMS key anywhere in the template",
    "ec2:*": "no function runs in a VPC",
    "elasticfilesystem:*": "no function mounts a file system",
    "s3files:*": "no function mounts a file system",
    "kinesis:*": "no table streams to Kinesis",
    "firehose:*": "no log group delivers to Firehose",
    "s3:REST.PUT.OBJECT": "not an IAM action; no log group delivers to S3",
    "iam:CreateServiceLinkedRole": "no global table replica, no Cognito SMS or email through SES",
    "iam:PutRolePermissionsBoundary": "the stack's roles have no permissions boundary",
    "iam:DeleteRolePermissionsBoundary": "the stack's roles have no permissions boundary",
    "iam:*GroupPolicy": "AWS::IAM::Policy attaches to roles only here",
    "iam:*UserPolicy": "AWS::IAM::Policy attaches to roles only here",
    "dynamodb:*Item": "CloudFormation writes items only to import data into a table; none is imported",
    "dynamodb:BatchWriteItem": "no table import",
    "dynamodb:Scan": "no table import",
    "dynamodb:Query": "no table import",
    "dynamodb:ImportTable": "no table import",
    "dynamodb:DescribeImport": "no table import",
    "s3:GetObjectMetadata": "no table import from S3",
    "s3:ListBucket": "no table import from S3",
    "dynamodb:*TableReplica": "no global table",
    "dynamodb:EnableKinesisStreamingDestination": "no Kinesis streaming destination (Describe is granted)",
    "dynamodb:DisableKinesisStreamingDestination": "no Kinesis streaming destination",
    "dynamodb:UpdateKinesisStreamingDestination": "no Kinesis streaming destination",
    "dynamodb:[PD]*ResourcePolicy": "no table resource policy (Get is granted)",
    "dynamodb:UpdateTimeToLive": "no TimeToLiveSpecification",
    "dynamodb:UpdateContributorInsights": "no ContributorInsightsSpecification",
    "logs:CreateLogStream": "for table imports' error logs; no import",
    "logs:DescribeLogStreams": "for table imports' error logs; no import",
    "logs:PutLogEvents": "for table imports' error logs; no import",
    "logs:*KmsKey": "no KMS key on a log group",
    "logs:[PD]*DataProtectionPolicy": "no data protection policy (Get is granted)",
    "logs:*IndexPolicy": "no field index policy (Describe is granted)",
    "logs:DeleteResourcePolicy": "WAF keeps the log delivery policy it writes (Describe and Put are granted)",
    "logs:GetResourcePolicy": "WAF writes the log delivery policy; it is not read back",
    "logs:PutBearerTokenAuthentication": "no bearer token authentication",
    "logs:PutLogGroupDeletionProtection": "no deletion protection property",
    "lambda:[PD]*FunctionCodeSigningConfig": "no code signing (GetFunctionCodeSigningConfig is granted)",
    "lambda:GetCodeSigningConfig": "no CodeSigningConfigArn",
    "lambda:GetLayerVersion": "no layers",
    "lambda:*FunctionConcurrency": "no reserved concurrency",
    "lambda:PutRuntimeManagementConfig": "no RuntimeManagementConfig",
    "lambda:PutFunctionRecursionConfig": "no RecursiveLoop setting",
    "lambda:PutFunctionScalingConfig": "no scaling config",
    "lambda:PassCapacityProvider": "no capacity provider",
    "lambda:AssociateRuntimeAlias": "no runtime alias",
    "lambda:PublishVersion": "no AutoPublishAlias",
    "sns:PutDataProtectionPolicy": "no topic data protection policy",
    "cognito-idp:AddCustomAttributes": "no custom user attributes",
    "payments:GetConnectedAccount": "no paid (Marketplace) rule group in the web ACL",
    "wafv2:[PG]*PermissionPolicy": "no rule group shared with another account",
    "s3:[PG]*BucketPolicy": "the web ACL logs to CloudWatch Logs, not to S3",
    "iam:DescribeOrganization": "the web ACL logs to this account's log group, not an organization's",
    "elasticloadbalancing:*": "the web ACL is associated with the GraphQL API only",
    "apigateway:SetWebACL": "the web ACL is associated with the GraphQL API only",
    "cognito-idp:*WebACL*": "the web ACL is associated with the GraphQL API only",
    "apprunner:*": "the web ACL is associated with the GraphQL API only",
    "amplify:*": "the web ACL is associated with the GraphQL API only",
    "bedrock-agentcore:*": "the web ACL is associated with the GraphQL API only",
}


# Resource types whose handlers pass or edit a role only for properties this template does not set.
ROLELESS: dict[str, str] = {
    "AWS::ApiGateway::RestApi": "no integration credentials (Auth.InvokeRole: NONE)",
    "AWS::SNS::Topic": "no delivery status logging role",
    "AWS::SNS::Subscription": "SQS and email endpoints need no subscription role",
    "AWS::Cognito::UserPool": "no SMS configuration role",
    "AWS::Cognito::UserPoolClient": "no analytics configuration role",
    "AWS::Cognito::UserPoolGroup": "the Admin group has no role",
}


def _not_needed(resource_type: str, permission: str) -> bool:
    """Patterns: ``*`` is any text, ``[PD]`` one of those letters (Put or Delete, not Get)."""
    if resource_type in ROLELESS and permission.startswith("iam:"):
        return True
    return any(re.fullmatch(pattern.replace("*", ".*"), permission) for pattern in NOT_NEEDED)


RANDOM = "1A2B3C4D5E6F"
SAMPLES = {
    "iam": f"arn:aws:iam::{ACCOUNT}:role/{{stack}}-GetLoyaltyFunctionRole-{RANDOM}",
    "lambda": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{{stack}}-GetLoyaltyFunction-{RANDOM}",
    "dynamodb": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{{stack}}-LoyaltyTable-{RANDOM}",
    "sqs": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{{stack}}-LoyaltyQueue-{RANDOM}",
    "sns": f"arn:aws:sns:{REGION}:{ACCOUNT}:{{stack}}-BookingTopic-{RANDOM}",
    "logs": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{{stack}}-GetLoyaltyFunction-{RANDOM}:*",
    "s3": f"{ARTIFACTS}/{{stack}}/0a1b2c3d4e5f",
    "wafv2": f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/{{stack}}-graphql/0a1b2c3d-4e5f-6a7b-8c9d",
    "cloudwatch": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{{stack}}-GetLoyalty-errors",
}
# Resources whose names CloudFormation does not derive from the stack name (random ids, logical ids).
UNSCOPED_SAMPLES = {
    "apigateway": f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5",
    "appsync": f"arn:aws:appsync:{REGION}:{ACCOUNT}:apis/abcdefghijklmnopqrstuvwxyz",
    "cognito-idp": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_AbCdEfGhI",
    "states": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:BookingStateMachine-{RANDOM}",
}
# Actions IAM authorises against "*": no resource-level permissions.
WITHOUT_RESOURCE = {
    "lambda:CreateEventSourceMapping",
    "sns:Unsubscribe",
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:DescribeIndexPolicies",
    "cognito-idp:CreateUserPool",
    "appsync:SetWebACL",
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:PutResourcePolicy",
}
PASSED_TO = {
    "AWS::Lambda::Function": "lambda.amazonaws.com",
    "AWS::StepFunctions::StateMachine": "states.amazonaws.com",
    "AWS::AppSync::DataSource": "appsync.amazonaws.com",
    "AWS::AppSync::GraphQLApi": "appsync.amazonaws.com",
    "AWS::ApiGateway::Account": "apigateway.amazonaws.com",
}


MAPPING = f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _request(resource_type: str, permission: str, stack: str) -> tuple[str, dict[str, ContextValue]]:
    """A resource and context as the handler for ``resource_type`` would present ``permission``."""
    service, _, action = permission.partition(":")
    function = SAMPLES["lambda"].format(stack=stack)
    context: dict[str, ContextValue] = {}
    if permission in WITHOUT_RESOURCE:
        resource = "*"
    elif service == "lambda" and resource_type == "AWS::Lambda::EventSourceMapping":
        resource = MAPPING
    elif service == "appsync" and not action.endswith(("GraphqlApi", "Resource", "WebACL")):
        resource = "*"  # schema, data source, resolver and function actions
    elif resource_type == "AWS::ApiGateway::Account" and service == "apigateway":
        resource = f"arn:aws:apigateway:{REGION}::/account"
    else:
        resource = UNSCOPED_SAMPLES.get(service) or SAMPLES[service].format(stack=stack)
    if service == "lambda" and "EventSourceMapping" in action:
        context["lambda:FunctionArn"] = function
    if permission == "iam:PassRole":
        context["iam:PassedToService"] = PASSED_TO[resource_type]
    if permission in {"iam:AttachRolePolicy", "iam:DetachRolePolicy"}:
        context["iam:PolicyARN"] = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    return resource, context


def _needed() -> list[tuple[str, str]]:
    types = sorted({resource["Type"] for resource in translate()["Resources"].values()})
    handlers = _handler_permissions()
    needed: set[tuple[str, str]] = set()
    for resource_type in types:
        # Stack operations call the create, read, update and delete handlers; list serves resource
        # discovery (Cloud Control, IaC generator), never a deployment.
        for handler in ("create", "read", "update", "delete"):
            permissions = handlers[resource_type].get(handler, [])
            needed.update((resource_type, p) for p in permissions if not _not_needed(resource_type, p))
    return sorted(needed)


@pytest.mark.static_gate
def test_the_handler_permissions_are_known_for_every_resource_type_of_the_application() -> None:
    types = {resource["Type"] for resource in translate()["Resources"].values()}

    assert types <= set(_handler_permissions())
    assert len(_needed()) > 100


@pytest.mark.static_gate
def test_the_execution_role_may_do_what_every_resource_handler_of_the_stack_needs() -> None:
    refused = []
    for resource_type, permission in _needed():
        resource, context = _request(resource_type, permission, STACK)
        if not _allowed(EXECUTION_ROLE, permission, resource, context):
            refused.append(f"{resource_type}: {permission} on {resource}")

    assert refused == []


@pytest.mark.static_gate
def test_the_execution_role_may_not_touch_another_stacks_resources() -> None:
    allowed = []
    for resource_type, permission in _needed():
        resource, context = _request(resource_type, permission, "airline-prod")
        if resource.endswith(tuple(UNSCOPED_SAMPLES.values())) or resource == "*":
            continue  # not named after the stack: scoped by account and region only
        if "airline-prod" in resource and _allowed(EXECUTION_ROLE, permission, resource, context):
            allowed.append(f"{resource_type}: {permission} on {resource}")

    assert allowed == []


def test_the_execution_role_attaches_no_other_managed_policy() -> None:
    role = SAMPLES["iam"].format(stack=STACK)

    for policy in ("AdministratorAccess", "IAMFullAccess", "service-role/AWSLambdaRole"):
        context: dict[str, ContextValue] = {"iam:PolicyARN": f"arn:aws:iam::aws:policy/{policy}"}
        assert not _allowed(EXECUTION_ROLE, "iam:AttachRolePolicy", role, context)


def test_the_execution_role_reads_and_writes_no_application_data() -> None:
    for action, resource in [
        ("dynamodb:GetItem", SAMPLES["dynamodb"]),
        ("dynamodb:Scan", SAMPLES["dynamodb"]),
        ("sqs:ReceiveMessage", SAMPLES["sqs"]),
        ("sns:Publish", SAMPLES["sns"]),
        ("lambda:InvokeFunction", SAMPLES["lambda"]),
        ("logs:GetLogEvents", SAMPLES["logs"]),
        ("appsync:GraphQL", UNSCOPED_SAMPLES["appsync"] + "/types/Query/fields/getLoyalty"),
    ]:
        assert not _allowed(EXECUTION_ROLE, action, resource.format(stack=STACK)), action


def test_the_execution_role_defines_the_stacks_alarms_and_cannot_silence_any() -> None:
    alarm = SAMPLES["cloudwatch"].format(stack=STACK)

    for action in ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"):
        assert _allowed(EXECUTION_ROLE, action, alarm), action
        assert not _allowed(EXECUTION_ROLE, action, SAMPLES["cloudwatch"].format(stack="airline-prod")), (
            action
        )
        assert not _allowed(EXECUTION_ROLE, action, f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:billing"), (
            action
        )
    for action in ("cloudwatch:SetAlarmState", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricData"):
        assert not _allowed(EXECUTION_ROLE, action, alarm), action
    assert not _allowed(
        EXECUTION_ROLE, "sns:Publish", SAMPLES["sns"].format(stack=STACK).replace("Booking", "Alarm")
    )


def test_the_execution_role_is_only_for_cloudformation() -> None:
    (statement,) = EXECUTION_ROLE.trust_policy["Statement"]

    assert statement["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


def test_the_roles_are_what_the_workflow_reads_from_the_outputs() -> None:
    outputs = load_template(TEMPLATE_PATH)["Outputs"]

    assert outputs["GitHubDeployRoleArn"]["Value"] == {"Fn::GetAtt": ["GitHubDeployRole", "Arn"]}
    assert outputs["CloudFormationExecutionRoleArn"]["Value"] == {
        "Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]
    }
    workflow = (REPOSITORY_ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "vars.AWS_DEPLOY_ROLE_ARN" in workflow
    assert "vars.AWS_CFN_EXECUTION_ROLE_ARN" in workflow


def test_the_template_path_is_where_the_docs_say() -> None:
    docs = (REPOSITORY_ROOT / "docs" / "ci.md").read_text(encoding="utf-8")

    assert str(TEMPLATE_PATH.relative_to(REPOSITORY_ROOT)) in docs
