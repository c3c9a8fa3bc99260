"""What Ref and Fn::GetAtt return per resource type, and that the deployer and the offline translation,
which both take it from ``stacktools.references``, give every resource of template.yaml the same."""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localcloud.deploy import Deployer
from stacktools.intrinsics import Resolver
from stacktools.offline import offline_resolver
from stacktools.project import ACCOUNT_ID, REGION
from stacktools.references import (
    Identity,
    UnsupportedReferenceError,
    describe,
    generated_ids,
    physical_id_source,
    resource_name,
)
from stacktools.translate import translate

STACK = "airline"
API = "abcdefghijklmnopqrstuvwxyz"
APPSYNC = f"arn:aws:appsync:{REGION}:{ACCOUNT_ID}:apis/{API}"


def identity(
    resource_type: str,
    physical_id: str,
    generated: dict[str, str] | None = None,
    properties: dict[str, Any] | None = None,
) -> Identity:
    return Identity(
        "Thing", resource_type, ACCOUNT_ID, REGION, physical_id, generated or {}, properties or {}
    )


CASES: list[tuple[Identity, str, dict[str, str]]] = [
    (
        identity("AWS::DynamoDB::Table", "bookings"),
        "bookings",
        {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/bookings"},
    ),
    (
        identity("AWS::SQS::Queue", "loyalty", {"QueueUrl": "http://127.0.0.1:5000/123456789012/loyalty"}),
        "http://127.0.0.1:5000/123456789012/loyalty",
        {
            "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:loyalty",
            "QueueName": "loyalty",
            "QueueUrl": "http://127.0.0.1:5000/123456789012/loyalty",
        },
    ),
    (
        identity("AWS::SNS::Topic", "bookings"),
        f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bookings",
        {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bookings", "TopicName": "bookings"},
    ),
    (
        identity("AWS::SNS::Subscription", f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bookings:1234"),
        f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bookings:1234",
        {"Arn": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:bookings:1234"},
    ),
    (
        identity("AWS::Logs::LogGroup", "/aws/lambda/fn"),
        "/aws/lambda/fn",
        {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/fn:*"},
    ),
    (
        identity("AWS::CloudWatch::Alarm", "errors"),
        "errors",
        {"Arn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:errors"},
    ),
    (
        identity("AWS::IAM::Role", "reader", {"RoleId": "AROAEXAMPLE"}, {"Path": "/service/"}),
        "reader",
        {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/service/reader", "RoleId": "AROAEXAMPLE"},
    ),
    (
        identity("AWS::IAM::Role", "reader", {"RoleId": "AROAEXAMPLE"}),
        "reader",
        {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/reader", "RoleId": "AROAEXAMPLE"},
    ),
    (
        identity("AWS::IAM::OIDCProvider", "token.actions.githubusercontent.com"),
        f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com",
        {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"},
    ),
    (
        identity("AWS::Lambda::Function", "fn"),
        "fn",
        {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:fn"},
    ),
    (
        identity("AWS::StepFunctions::StateMachine", "saga"),
        f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:saga",
        {"Arn": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:saga", "Name": "saga"},
    ),
    (
        identity("AWS::Cognito::UserPool", f"{REGION}_abc"),
        f"{REGION}_abc",
        {
            "Arn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{REGION}_abc",
            "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{REGION}_abc",
            "ProviderURL": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_abc",
        },
    ),
    (identity("AWS::Cognito::UserPoolGroup", "customers"), "customers", {}),
    (
        identity("AWS::ApiGateway::RestApi", "a1b2c3", {"RootResourceId": "r00t"}),
        "a1b2c3",
        {"RootResourceId": "r00t"},
    ),
    (identity("AWS::ApiGateway::Stage", "v1"), "v1", {}),
    (
        identity("AWS::AppSync::GraphQLApi", API),
        APPSYNC,
        {
            "ApiId": API,
            "Arn": APPSYNC,
            "GraphQLUrl": f"https://{API}.appsync-api.{REGION}.amazonaws.com/graphql",
            "GraphQLDns": f"{API}.appsync-api.{REGION}.amazonaws.com",
        },
    ),
    (
        identity("AWS::AppSync::DataSource", "Flights", properties={"ApiId": API, "Name": "Flights"}),
        f"{APPSYNC}/datasources/Flights",
        {"DataSourceArn": f"{APPSYNC}/datasources/Flights", "Name": "Flights"},
    ),
    (
        identity("AWS::AppSync::FunctionConfiguration", "f1", properties={"ApiId": API, "Name": "lookUp"}),
        f"{APPSYNC}/functions/f1",
        {"FunctionArn": f"{APPSYNC}/functions/f1", "FunctionId": "f1", "Name": "lookUp"},
    ),
    (
        identity(
            "AWS::AppSync::Resolver",
            "Query.getFlight",
            properties={"ApiId": API, "TypeName": "Query", "FieldName": "getFlight"},
        ),
        f"{APPSYNC}/types/Query/resolvers/getFlight",
        {"ResolverArn": f"{APPSYNC}/types/Query/resolvers/getFlight"},
    ),
    (
        identity("AWS::WAFv2::WebACL", "0000-1111", properties={"Name": "front", "Scope": "REGIONAL"}),
        "front|0000-1111|REGIONAL",
        {"Arn": f"arn:aws:wafv2:{REGION}:{ACCOUNT_ID}:regional/webacl/front/0000-1111", "Id": "0000-1111"},
    ),
    (
        identity("AWS::S3::Bucket", "site"),
        "site",
        {
            "Arn": "arn:aws:s3:::site",
            "DomainName": "site.s3.amazonaws.com",
            "RegionalDomainName": f"site.s3.{REGION}.amazonaws.com",
        },
    ),
    (
        identity("AWS::CloudFront::Distribution", "E123", {"DomainName": "d123.cloudfront.net"}),
        "E123",
        {"Id": "E123", "DomainName": "d123.cloudfront.net"},
    ),
    (identity("AWS::Lambda::EventSourceMapping", "uuid-1"), "uuid-1", {}),
]


@pytest.mark.parametrize(
    ("resource", "ref", "attributes"), CASES, ids=[f"{case[0].resource_type} {case[1]}" for case in CASES]
)
def test_ref_and_attributes_per_type(resource: Identity, ref: str, attributes: dict[str, str]) -> None:
    described = describe(resource)

    assert described.ref == ref
    assert described.attributes == attributes


def test_a_type_that_is_not_modelled_is_refused_naming_the_resource_and_type() -> None:
    with pytest.raises(UnsupportedReferenceError, match=r"Thing \(AWS::EC2::Instance\): Ref and Fn::GetAtt"):
        describe(identity("AWS::EC2::Instance", "i-123"))


def test_an_attribute_the_type_does_not_have_is_refused_naming_resource_type_and_attribute() -> None:
    resolver = Resolver(account_id=ACCOUNT_ID, region=REGION, stack_name=STACK)
    resolver.add_resource(identity("AWS::DynamoDB::Table", "bookings"))

    with pytest.raises(
        UnsupportedReferenceError,
        match=r"Thing \(AWS::DynamoDB::Table\): Fn::GetAtt StreamArn .*supported: Arn",
    ):
        resolver.resolve({"Fn::GetAtt": ["Thing", "StreamArn"]})


def test_an_id_formed_from_a_missing_property_is_refused_naming_it() -> None:
    with pytest.raises(UnsupportedReferenceError, match=r"Thing \(AWS::AppSync::DataSource\).*ApiId"):
        describe(identity("AWS::AppSync::DataSource", "Flights"))


def test_sam_resources_answer_as_the_resources_sam_generates_for_them() -> None:
    function = identity("AWS::Serverless::Function", "fn")
    machine = identity("AWS::Serverless::StateMachine", "saga")

    assert describe(function) == describe(identity("AWS::Lambda::Function", "fn"))
    assert describe(machine) == describe(identity("AWS::StepFunctions::StateMachine", "saga"))
    assert resource_name(STACK, "Saga", "AWS::Serverless::StateMachine", {"Name": "given"}) == "given"


def test_a_name_property_names_the_resource_else_the_stack_and_logical_id_within_the_limit() -> None:
    assert resource_name(STACK, "Table", "AWS::DynamoDB::Table", {"TableName": "given"}) == "given"
    assert resource_name(STACK, "Table", "AWS::DynamoDB::Table", {}) == "airline-Table"
    assert len(resource_name(STACK, "F" * 80, "AWS::Lambda::Function", {})) == 64


def _generated_values(resolver: Resolver) -> dict[str, str]:
    """Each id a service assigned (or the offline translation stood in for) -> a placeholder naming it."""
    placeholders: dict[str, str] = {}
    for logical_id, resource in resolver.identities.items():
        if physical_id_source(logical_id, resource.resource_type) == "service":
            placeholders[resource.physical_id] = f"<{logical_id}>"
        for key in generated_ids(logical_id, resource.resource_type):
            placeholders[resource.generated[key]] = f"<{logical_id}.{key}>"
    return placeholders


def _normalised(resolver: Resolver) -> dict[str, dict[str, str]]:
    placeholders = _generated_values(resolver)
    pattern = re.compile("|".join(re.escape(value) for value in sorted(placeholders, key=len, reverse=True)))

    def normalise(value: str) -> str:
        return pattern.sub(lambda match: placeholders[match.group(0)], value)

    described: dict[str, dict[str, str]] = {}
    for logical_id in resolver.identities:
        attributes = {
            attribute: normalise(value)
            for (owner, attribute), value in resolver.attributes.items()
            if owner == logical_id
        }
        described[logical_id] = {"Ref": normalise(resolver.refs[logical_id]), **attributes}
    return described


# AWS managed policies, which the template's roles attach, with their real documents.
@mock_aws(config={"iam": {"load_aws_managed_policies": True}})
def test_the_deployer_and_the_offline_translation_agree_on_every_resource_of_the_template() -> None:
    template = translate()
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    deployed = Deployer(session, account_id=ACCOUNT_ID, region=REGION, stack_name=STACK).deploy(template)
    assert deployed.resolver is not None

    offline = offline_resolver(template, account_id=ACCOUNT_ID, region=REGION, stack_name=STACK)

    deployed_values = _normalised(deployed.resolver)
    offline_values = _normalised(offline)
    # Every resource but those whose condition is false (the deployer skips them, as CloudFormation does).
    assert set(deployed_values) == {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if offline.conditions.get(resource.get("Condition", ""), True)
    }
    for logical_id, values in deployed_values.items():
        assert offline_values[logical_id] == values, logical_id
