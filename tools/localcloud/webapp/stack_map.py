"""The stack as the boundary map draws it: who acts (customers, AppSync's data sources, the state
machine, each function with its own role) and what they act on (the APIs, user pool, tables, topic and
queues), with one edge per grant of the template's expanded policies.

Everything comes from the deployed stack and ``secaudit``'s reading of template.yaml: nothing is listed
by hand, so a resource or a grant added to the template appears on the map at the next start. An
authorisation decision is placed on the map by its principal (a role belongs to the node that acts with
it) and its resource (an ARN belongs to the node whose ARN it equals or extends).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from localcloud.deploy import DeployedResource, DeployedStack
from secaudit.audit import RoleAudit
from secaudit.usage import role_arn_of_session

CUSTOMERS = "Customers"
ADMINISTRATOR = "Administrator"
OUTSIDERS = "Outsiders"
"""Every other principal: users and roles outside the stack, anonymous callers, forged identities."""
ADMINISTRATOR_USER = "localcloud-admin"

_ROLE_PROPERTY = {
    "AWS::Lambda::Function": "Role",
    "AWS::StepFunctions::StateMachine": "RoleArn",
    "AWS::AppSync::DataSource": "ServiceRoleArn",
}
"""The resource types that act with a role, and the property naming it. (The log-delivery roles of API
Gateway and AppSync act for the services' own logging and are left off the map.)"""

_RESOURCE_KINDS = {
    "AWS::AppSync::GraphQLApi": "graphql-api",
    "AWS::ApiGateway::RestApi": "rest-api",
    "AWS::Cognito::UserPool": "user-pool",
    "AWS::StepFunctions::StateMachine": "state-machine",
    "AWS::Lambda::Function": "function",
    "AWS::DynamoDB::Table": "table",
    "AWS::SNS::Topic": "topic",
    "AWS::SQS::Queue": "queue",
}

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}")
"""``${BookingTable.Arn}``: how the audit writes a grant's resource (``secaudit.usage.templated``)."""


@dataclass
class Node:
    id: str
    """The resource's logical id, or one of CUSTOMERS, ADMINISTRATOR, OUTSIDERS."""
    kind: str
    label: str
    role: str | None = None
    """The logical id of the role this node acts with, if it acts."""
    arns: list[str] = field(default_factory=list)
    """What the node is as a resource: an ARN equal to one of these, or extending it, is this node."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "role": self.role}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str
    """``grant``: Allow statements of the source's role on the target; ``flow``: an event source, a
    subscription, an integration, a data source."""
    label: str

    def to_json(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target, "kind": self.kind, "label": self.label}


class StackMap:
    """``grants``: the stack's roles with their grants, as ``secaudit.audit.audit`` lists them."""

    def __init__(self, stack: DeployedStack, grants: Sequence[RoleAudit]) -> None:
        if stack.resolver is None:
            raise ValueError("the stack has not been deployed")
        self._stack = stack
        self._arns = stack.resolver.attributes
        self.nodes: dict[str, Node] = {
            CUSTOMERS: Node(CUSTOMERS, "actor", "Customers"),
            ADMINISTRATOR: Node(ADMINISTRATOR, "actor", "Account administrator"),
            OUTSIDERS: Node(OUTSIDERS, "actor", "Everyone else"),
        }
        self.edges: list[Edge] = []
        self._role_names: dict[str, str] = {}
        """role ARN -> the role's logical id"""
        self._actors: dict[str, str] = {}
        """role ARN -> the node acting with it"""
        self._add_resources()
        self._add_grants(grants)
        self._add_flows()

    # -------------------------------------------------------------- building

    def _add_resources(self) -> None:
        roles = {
            self._arns.get((role.logical_id, "Arn")): role.logical_id
            for role in self._stack.of_type("AWS::IAM::Role")
        }
        for resource in self._stack.resources.values():
            kind = _RESOURCE_KINDS.get(resource.type)
            if resource.type == "AWS::AppSync::DataSource":
                # AppSync acting as the data source's role: an actor, not a resource of its own.
                kind = "data-source"
            if kind is None:
                continue
            role_arn = resource.properties.get(_ROLE_PROPERTY.get(resource.type, ""))
            role = roles.get(role_arn) if isinstance(role_arn, str) else None
            if isinstance(role_arn, str) and role is not None:
                self._role_names[role_arn] = role
                self._actors[role_arn] = resource.logical_id
            self.nodes[resource.logical_id] = Node(
                resource.logical_id, kind, _label(resource), role, self._own_arns(resource)
            )

    def _own_arns(self, resource: DeployedResource) -> list[str]:
        match resource.type:
            case "AWS::ApiGateway::RestApi":
                return [
                    f"arn:aws:execute-api:{self._stack.region}:{self._stack.account_id}:{resource.physical_id}"
                ]
            case "AWS::SNS::Topic" | "AWS::StepFunctions::StateMachine":
                return [resource.physical_id]
            case "AWS::AppSync::DataSource":
                return []
        arn = self._arns.get((resource.logical_id, "Arn"))
        return [arn] if arn else []

    def _add_grants(self, grants: Sequence[RoleAudit]) -> None:
        actions: dict[tuple[str, str], set[str]] = defaultdict(set)
        for role in grants:
            actors = [node.id for node in self.nodes.values() if node.role == role.role]
            for grant in (*role.granted_used, *role.granted_unused, *(grant for grant, _ in role.allowed)):
                targets = [name for name in _PLACEHOLDER.findall(grant.resource) if name in self.nodes]
                # Grants on "*" (logs, X-Ray) and on what is not drawn (log groups) get no edge.
                for actor in actors if targets else []:
                    actions[(actor, targets[0])].add(grant.action)
        for (source, target), granted in sorted(actions.items()):
            self.edges.append(Edge(source, target, "grant", ", ".join(sorted(granted))))

    def _add_flows(self) -> None:
        stack = self._stack
        self.edges.append(Edge(CUSTOMERS, "UserPool", "flow", "sign up, sign in"))
        for graphql_api in stack.of_type("AWS::AppSync::GraphQLApi"):
            self.edges.append(Edge(CUSTOMERS, graphql_api.logical_id, "flow", "GraphQL, with an ID token"))
            for source in stack.of_type("AWS::AppSync::DataSource"):
                self.edges.append(Edge(graphql_api.logical_id, source.logical_id, "flow", "resolvers"))
        functions = {
            function.physical_id: function.logical_id for function in stack.of_type("AWS::Lambda::Function")
        }
        for permission in stack.of_type("AWS::Lambda::Permission"):
            api = self.resource_node(str(permission.properties.get("SourceArn", "")))
            function = functions.get(str(permission.properties.get("FunctionName", "")))
            if api and function:
                self.edges.append(Edge(api, function, "flow", "Lambda proxy integration"))
        for subscription in stack.of_type("AWS::SNS::Subscription"):
            topic = self.resource_node(str(subscription.properties.get("TopicArn", "")))
            queue = self.resource_node(str(subscription.properties.get("Endpoint", "")))
            if topic and queue:
                self.edges.append(Edge(topic, queue, "flow", "subscription"))
        for mapping in stack.of_type("AWS::Lambda::EventSourceMapping"):
            queue = self.resource_node(str(mapping.properties.get("EventSourceArn", "")))
            function = functions.get(str(mapping.properties.get("FunctionName", "")))
            if queue and function:
                self.edges.append(Edge(queue, function, "flow", "event source mapping"))

    # -------------------------------------------------------------- placing decisions

    def principal_node(self, principal: str) -> str:
        """The node acting as ``principal``: a role's or a role session's ARN, a user's, or
        ``user-pool:SUB`` for a customer."""
        if principal.startswith("user-pool:"):
            return CUSTOMERS
        actor = self._actors.get(self._role_arn(principal))
        if actor is not None:
            return actor
        if principal.endswith(f":user/{ADMINISTRATOR_USER}"):
            return ADMINISTRATOR
        return OUTSIDERS

    def role_of(self, principal: str) -> str | None:
        """The logical id of the stack's role behind ``principal``, if it is one of them."""
        return self._role_names.get(self._role_arn(principal))

    def resource_node(self, resource_arn: str) -> str | None:
        """The node ``resource_arn`` is, or is part of (an index, a route, a field); None if not drawn."""
        actor = self._actors.get(resource_arn)
        if actor is not None:
            return actor  # sts:AssumeRole on one of the stack's roles
        for node in self.nodes.values():
            for arn in node.arns:
                if resource_arn == arn or resource_arn.startswith((f"{arn}/", f"{arn}:")):
                    return node.id
        return None

    def _role_arn(self, principal: str) -> str:
        if ":assumed-role/" in principal:
            return role_arn_of_session(principal, self._stack.account_id)
        return principal

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self._stack.name,
            "nodes": [node.to_json() for node in self.nodes.values()],
            "edges": [edge.to_json() for edge in self.edges],
        }


def _label(resource: DeployedResource) -> str:
    if resource.type == "AWS::AppSync::DataSource":
        return f"{resource.properties.get('Name', resource.logical_id)} data source"
    return resource.logical_id
