"""Resolve a translated template without deploying it: every resource gets the id and ARNs AWS would
give it in a stack of a given name, account and region.

Used to read the stack's final policies before deployment (the permissions audit, the authorization
matrix), where the exact generated suffixes of physical names do not matter but ARN shapes do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from stacktools.intrinsics import Resolver, evaluate_conditions
from stacktools.project import ACCOUNT_ID, REGION

DEFAULT_STACK = "airline"


def _token(logical_id: str, length: int) -> str:
    """A stable id-like token (API ids, user pool ids) derived from the logical id."""
    return hashlib.sha256(logical_id.encode()).hexdigest()[:length]


def offline_resolver(
    template: dict[str, Any],
    *,
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
    stack_name: str = DEFAULT_STACK,
    parameters: dict[str, str] | None = None,
) -> Resolver:
    resolver = Resolver(account_id=account_id, region=region, stack_name=stack_name)
    given = parameters or {}
    for name, spec in template.get("Parameters", {}).items():
        resolver.refs[name] = str(given.get(name, spec.get("Default", "")))
    resolver.conditions.update(evaluate_conditions(template.get("Conditions", {}), resolver))
    for logical_id, resource in template["Resources"].items():
        describe = _DESCRIBERS.get(resource["Type"])
        name = f"{stack_name}-{logical_id}"
        ref, attributes = describe(logical_id, name, account_id, region) if describe else (name, {})
        resolver.refs[logical_id] = ref
        for attribute, value in attributes.items():
            resolver.attributes[(logical_id, attribute)] = value
    return resolver


Described = tuple[str, dict[str, str]]


def _table(logical_id: str, name: str, account: str, region: str) -> Described:
    arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    return name, {"Arn": arn, "StreamArn": f"{arn}/stream/2030-01-01T00:00:00.000"}


def _queue(logical_id: str, name: str, account: str, region: str) -> Described:
    url = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
    return url, {"Arn": f"arn:aws:sqs:{region}:{account}:{name}", "QueueName": name, "QueueUrl": url}


def _topic(logical_id: str, name: str, account: str, region: str) -> Described:
    arn = f"arn:aws:sns:{region}:{account}:{name}"
    return arn, {"TopicArn": arn, "TopicName": name}


def _function(logical_id: str, name: str, account: str, region: str) -> Described:
    return name, {"Arn": f"arn:aws:lambda:{region}:{account}:function:{name}"}


def _role(logical_id: str, name: str, account: str, region: str) -> Described:
    return name, {
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "RoleId": f"AROA{_token(logical_id, 17).upper()}",
    }


def _state_machine(logical_id: str, name: str, account: str, region: str) -> Described:
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
    return arn, {"Arn": arn, "Name": name}


def _log_group(logical_id: str, name: str, account: str, region: str) -> Described:
    group = f"/{name}"
    return group, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{group}:*"}


def _rest_api(logical_id: str, name: str, account: str, region: str) -> Described:
    return _token(logical_id, 10), {"RootResourceId": _token(logical_id + "/", 10)}


def _user_pool(logical_id: str, name: str, account: str, region: str) -> Described:
    pool = f"{region}_{_token(logical_id, 9)}"
    provider = f"cognito-idp.{region}.amazonaws.com/{pool}"
    return pool, {
        "Arn": f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool}",
        "ProviderName": provider,
        "ProviderURL": f"https://{provider}",
    }


def _graphql_api(logical_id: str, name: str, account: str, region: str) -> Described:
    api_id = _token(logical_id, 26)
    arn = f"arn:aws:appsync:{region}:{account}:apis/{api_id}"
    host = f"{api_id}.appsync-api.{region}.amazonaws.com"
    return arn, {"ApiId": api_id, "Arn": arn, "GraphQLUrl": f"https://{host}/graphql", "GraphQLDns": host}


def _data_source(logical_id: str, name: str, account: str, region: str) -> Described:
    return name, {
        "Name": logical_id,
        "DataSourceArn": f"arn:aws:appsync:{region}:{account}:datasources/{name}",
    }


def _appsync_function(logical_id: str, name: str, account: str, region: str) -> Described:
    function_id = _token(logical_id, 26)
    return function_id, {"FunctionId": function_id, "Name": logical_id}


def _bucket(logical_id: str, name: str, account: str, region: str) -> Described:
    bucket = f"{name.lower()}-{_token(logical_id, 12)}"
    return bucket, {
        "Arn": f"arn:aws:s3:::{bucket}",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "RegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
    }


def _distribution(logical_id: str, name: str, account: str, region: str) -> Described:
    distribution_id = f"E{_token(logical_id, 13).upper()}"
    return distribution_id, {"Id": distribution_id, "DomainName": f"d{_token(logical_id, 13)}.cloudfront.net"}


def _cloudfront_id(logical_id: str, name: str, account: str, region: str) -> Described:
    """An origin access control's or a response headers policy's id."""
    resource_id = f"E{_token(logical_id, 13).upper()}"
    return resource_id, {"Id": resource_id}


def _web_acl(logical_id: str, name: str, account: str, region: str) -> Described:
    acl_id = _token(logical_id, 36)
    return f"{name}|{acl_id}|REGIONAL", {
        "Arn": f"arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/{acl_id}",
        "Id": acl_id,
    }


_DESCRIBERS: dict[str, Callable[[str, str, str, str], Described]] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::Lambda::Function": _function,
    "AWS::IAM::Role": _role,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::AppSync::GraphQLApi": _graphql_api,
    "AWS::AppSync::DataSource": _data_source,
    "AWS::AppSync::FunctionConfiguration": _appsync_function,
    "AWS::S3::Bucket": _bucket,
    "AWS::CloudFront::Distribution": _distribution,
    "AWS::CloudFront::OriginAccessControl": _cloudfront_id,
    "AWS::CloudFront::ResponseHeadersPolicy": _cloudfront_id,
    "AWS::WAFv2::WebACL": _web_acl,
}
