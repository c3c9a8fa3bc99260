"""Every role's final policies, computed offline from template.yaml.

SAM's translation expands policy templates and attaches managed policies; intrinsics are then resolved
for a stack of a given name, account and region (``stacktools.offline``). AWS managed policies are
read from moto's copy of their published documents, so this needs no AWS account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data

from stacktools.intrinsics import Resolver
from stacktools.offline import DEFAULT_STACK, offline_resolver
from stacktools.template import project_template
from stacktools.translate import translate

PolicyDocument = dict[str, Any]


@cache
def _managed_policies() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def managed_policy_document(arn: str) -> PolicyDocument:
    name = arn.rsplit("/", 1)[-1]
    if not arn.startswith("arn:aws:iam::aws:policy/") or name not in _managed_policies():
        raise LookupError(f"{arn} is not a known AWS managed policy")
    document: PolicyDocument = _managed_policies()[name]["Document"]
    return document


@dataclass(frozen=True)
class RolePolicies:
    """One role of the stack with everything that grants it permissions."""

    logical_id: str
    arn: str
    used_by: tuple[str, ...]
    """Logical ids of the resources that act with this role (a function, the state machine...)."""
    trust_policy: PolicyDocument
    inline: dict[str, PolicyDocument] = field(default_factory=dict)
    """Inline policies by name, including AWS::IAM::Policy resources attached to the role."""
    managed: dict[str, PolicyDocument] = field(default_factory=dict)
    """Attached managed policies by ARN."""

    def documents(self) -> list[PolicyDocument]:
        return [*self.inline.values(), *self.managed.values()]

    def named_documents(self) -> dict[str, PolicyDocument]:
        return {
            **{f"inline:{name}": doc for name, doc in self.inline.items()},
            **{f"managed:{arn.rsplit('/', 1)[-1]}": doc for arn, doc in self.managed.items()},
        }


# Where each resource type names the role it acts with.
_ROLE_PROPERTIES = {
    "AWS::Lambda::Function": ("Role",),
    "AWS::StepFunctions::StateMachine": ("RoleArn",),
    "AWS::AppSync::DataSource": ("ServiceRoleArn",),
    "AWS::AppSync::GraphQLApi": ("LogConfig", "CloudWatchLogsRoleArn"),
    "AWS::ApiGateway::Account": ("CloudWatchRoleArn",),
}


def _role_users(resources: dict[str, Any], role_logical_id: str) -> tuple[str, ...]:
    users = []
    for logical_id, resource in resources.items():
        path = _ROLE_PROPERTIES.get(resource["Type"])
        if not path:
            continue
        value: Any = resource.get("Properties", {})
        for key in path:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        if value == {"Fn::GetAtt": [role_logical_id, "Arn"]}:
            users.append(logical_id)
    return tuple(sorted(users))


def expanded_policies(translated: dict[str, Any], resolver: Resolver) -> dict[str, RolePolicies]:
    resources = translated["Resources"]
    included = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resolver.conditions.get(resource.get("Condition", ""), True)
    }
    roles: dict[str, RolePolicies] = {}
    for logical_id, resource in included.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resolver.resolve(resource["Properties"])
        roles[logical_id] = RolePolicies(
            logical_id=logical_id,
            arn=resolver.get_att(logical_id, "Arn"),
            used_by=_role_users(included, logical_id),
            trust_policy=properties["AssumeRolePolicyDocument"],
            inline={
                policy["PolicyName"]: policy["PolicyDocument"] for policy in properties.get("Policies", [])
            },
            managed={arn: managed_policy_document(arn) for arn in properties.get("ManagedPolicyArns", [])},
        )
    for resource in included.values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for role_ref in resource["Properties"].get("Roles", []):
            target = role_ref.get("Ref") if isinstance(role_ref, dict) else None
            if target in roles:
                document = resolver.resolve(resource["Properties"]["PolicyDocument"])
                roles[target].inline[resolver.resolve(resource["Properties"]["PolicyName"])] = document
    return roles


@dataclass(frozen=True)
class StackPolicies:
    translated: dict[str, Any]
    resolver: Resolver
    roles: dict[str, RolePolicies]

    def role_of(self, user_logical_id: str) -> RolePolicies:
        for role in self.roles.values():
            if user_logical_id in role.used_by:
                return role
        raise LookupError(f"{user_logical_id} acts with no role of the stack")

    def resource_policies(self) -> dict[str, PolicyDocument]:
        """The resource-based policy of each resource that has one, by logical id: the queues' and the
        topic's (AWS::SQS::QueuePolicy, AWS::SNS::TopicPolicy), each function's (its
        AWS::Lambda::Permission resources, as Lambda writes them into the function's policy) and the
        loyalty API's."""
        found: dict[str, PolicyDocument] = {"LoyaltyApi": self.loyalty_api_policy()}
        for logical_id, resource in self.translated["Resources"].items():
            if not self.resolver.conditions.get(resource.get("Condition", ""), True):
                continue
            properties = resource["Properties"]
            if resource["Type"] in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
                targets = properties["Queues" if resource["Type"] == "AWS::SQS::QueuePolicy" else "Topics"]
                for target in targets:
                    found[target["Ref"]] = self.resolver.resolve(properties["PolicyDocument"])
            elif resource["Type"] == "AWS::Lambda::Permission":
                function = _logical_id_of(properties["FunctionName"])
                policy = found.setdefault(function, {"Version": "2012-10-17", "Statement": []})
                policy["Statement"].append(self._permission_statement(logical_id, function, properties))
        return found

    def _permission_statement(
        self, logical_id: str, function: str, properties: dict[str, Any]
    ) -> dict[str, Any]:
        """A function policy statement, as Lambda's AddPermission writes it."""
        resolved = self.resolver.resolve(properties)
        conditions: dict[str, Any] = {}
        if "SourceArn" in resolved:
            conditions["ArnLike"] = {"AWS:SourceArn": resolved["SourceArn"]}
        if "SourceAccount" in resolved:
            conditions["StringEquals"] = {"AWS:SourceAccount": resolved["SourceAccount"]}
        principal = resolved["Principal"]
        return {
            "Sid": logical_id,
            "Effect": "Allow",
            "Principal": {"Service": principal}
            if principal.endswith(".amazonaws.com")
            else {"AWS": principal},
            "Action": resolved["Action"],
            "Resource": self.resolver.get_att(function, "Arn"),
            **({"Condition": conditions} if conditions else {}),
        }

    def loyalty_api_policy(self) -> PolicyDocument:
        """The loyalty REST API's resource policy with ``execute-api:/`` resources expanded to ARNs."""
        policy = self.rest_api_policy("LoyaltyApi")
        if policy is None:
            raise LookupError("LoyaltyApi has no resource policy")
        return policy

    def rest_api_policy(self, logical_id: str) -> PolicyDocument | None:
        """A REST API's resource policy (``x-amazon-apigateway-policy``), with ``execute-api:/``
        resources expanded to ARNs; None if it has none."""
        api = self.translated["Resources"][logical_id]
        body = self.resolver.resolve(api["Properties"].get("Body") or {})
        if "x-amazon-apigateway-policy" not in body:
            return None
        policy: PolicyDocument = json.loads(json.dumps(body["x-amazon-apigateway-policy"]))
        prefix = (
            f"arn:aws:execute-api:{self.resolver.region}:{self.resolver.account_id}:"
            f"{self.resolver.ref(logical_id)}/"
        )
        for statement in policy["Statement"]:
            for key in ("Resource", "NotResource"):
                if key in statement:
                    values = statement[key] if isinstance(statement[key], list) else [statement[key]]
                    statement[key] = [value.replace("execute-api:/", prefix, 1) for value in values]
        return policy


def _logical_id_of(reference: Any) -> str:
    """The logical id a Ref or Fn::GetAtt names."""
    if isinstance(reference, dict) and "Ref" in reference:
        return str(reference["Ref"])
    if isinstance(reference, dict) and "Fn::GetAtt" in reference:
        target = reference["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".", 1)[0])
    raise ValueError(f"{reference!r} names no resource of the stack")


def stack_policies(
    template: dict[str, Any] | None = None,
    parameters: dict[str, str] | None = None,
    stack_name: str = DEFAULT_STACK,
) -> StackPolicies:
    translated = translate(project_template() if template is None else template, parameters)
    resolver = offline_resolver(translated, parameters=parameters, stack_name=stack_name)
    return StackPolicies(translated, resolver, expanded_policies(translated, resolver))
