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
from stacktools.references import (
    Identity,
    generated_ids,
    physical_id_from_properties,
    physical_id_source,
    properties_read,
    resource_name,
)
from stacktools.template import creation_order

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
    # Only what names and identifies each resource is resolved (the rest may refer to anything, even
    # in a cycle), in the order those properties refer to each other.
    identifying = {
        logical_id: {
            "Type": resource["Type"],
            "Properties": {
                key: resource.get("Properties", {})[key]
                for key in properties_read(logical_id, resource["Type"])
                if key in resource.get("Properties", {})
            },
        }
        for logical_id, resource in template["Resources"].items()
    }
    for logical_id in creation_order(identifying):
        resource_type = identifying[logical_id]["Type"]
        read = resolver.resolve(identifying[logical_id]["Properties"])
        source = physical_id_source(logical_id, resource_type)
        if source == "name":
            physical_id = resource_name(stack_name, logical_id, resource_type, read)
        elif source == "property":
            physical_id = physical_id_from_properties(logical_id, resource_type, read)
        else:
            physical_id = _STAND_IN_IDS.get(resource_type, _token_id(12))(logical_id, region)
        generated = {
            key: _STAND_IN_GENERATED[key](logical_id, physical_id, account_id, region)
            for key in generated_ids(logical_id, resource_type)
        }
        resolver.add_resource(
            Identity(logical_id, resource_type, account_id, region, physical_id, generated, read)
        )
    return resolver


def _token_id(length: int, prefix: str = "", upper: bool = False) -> Callable[[str, str], str]:
    def stand_in(logical_id: str, region: str) -> str:
        token = _token(logical_id, length)
        return prefix + (token.upper() if upper else token)

    return stand_in


# Ids services assign, in the shape each service gives them.
_STAND_IN_IDS: dict[str, Callable[[str, str], str]] = {
    "AWS::Cognito::UserPool": lambda logical_id, region: f"{region}_{_token(logical_id, 9)}",
    "AWS::ApiGateway::RestApi": _token_id(10),
    "AWS::AppSync::GraphQLApi": _token_id(26),
    "AWS::AppSync::FunctionConfiguration": _token_id(26),
    "AWS::WAFv2::WebACL": _token_id(36),
    "AWS::CloudFront::Distribution": _token_id(13, "E", upper=True),
    "AWS::CloudFront::OriginAccessControl": _token_id(13, "E", upper=True),
    "AWS::CloudFront::ResponseHeadersPolicy": _token_id(13, "E", upper=True),
}

_STAND_IN_GENERATED: dict[str, Callable[[str, str, str, str], str]] = {
    "QueueUrl": lambda logical_id, name, account, region: (
        f"https://sqs.{region}.amazonaws.com/{account}/{name}"
    ),
    "RoleId": lambda logical_id, name, account, region: f"AROA{_token(logical_id, 17).upper()}",
    "RootResourceId": lambda logical_id, name, account, region: _token(logical_id + "/", 10),
    "DomainName": lambda logical_id, name, account, region: f"d{_token(logical_id, 13)}.cloudfront.net",
}
