"""Resolve the intrinsic functions the template uses, given the physical ids of its resources.

Enough of CloudFormation for settings, substitutions and policies: Ref, Fn::GetAtt, Fn::Sub, Fn::Join,
Fn::If with the template's conditions, and the pseudo parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacktools.references import Described, Identity, describe, unsupported_attribute

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class UnresolvableError(KeyError):
    """The template refers to something the resolver was not told about."""


@dataclass
class Resolver:
    account_id: str
    region: str
    stack_name: str
    refs: dict[str, str] = field(default_factory=dict)
    """Logical id or parameter name -> what ``Ref`` returns."""
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    """(logical id, attribute) -> what ``Fn::GetAtt`` returns."""
    conditions: dict[str, bool] = field(default_factory=dict)
    identities: dict[str, Identity] = field(default_factory=dict)
    """Logical id -> the resource's identity, for the resources added with :meth:`add_resource`."""
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:"
                f"stack/{self.stack_name}/00000000-0000-0000-0000-000000000000"
            ),
        }

    def ref(self, name: str) -> str:
        if name == "AWS::NoValue":
            return NO_VALUE
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name not in self.refs:
            raise UnresolvableError(f"Ref {name}")
        return self.refs[name]

    def add_resource(self, identity: Identity) -> Described:
        """Record what Ref and Fn::GetAtt of the resource return (``stacktools.references``)."""
        described = describe(identity)
        self.refs[identity.logical_id] = described.ref
        for attribute, value in described.attributes.items():
            self.attributes[(identity.logical_id, attribute)] = value
        self.identities[identity.logical_id] = identity
        return described

    def get_att(self, logical_id: str, attribute: str) -> str:
        key = (logical_id, attribute)
        if key not in self.attributes:
            if logical_id in self.identities:
                raise unsupported_attribute(logical_id, self.identities[logical_id].resource_type, attribute)
            raise UnresolvableError(f"Fn::GetAtt {logical_id}.{attribute}")
        return self.attributes[key]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(entry) for entry in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = self._functions().get(key)
            if function is not None:
                return function(argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::If": self._if,
        }

    def _get_att(self, argument: Any) -> str:
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return self.get_att(logical_id, attribute)

    def _join(self, argument: Any) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.resolve(items))

    def _if(self, argument: Any) -> Any:
        condition, when_true, when_false = argument
        return self.resolve(when_true if self.conditions[condition] else when_false)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument
            local = {name: str(self.resolve(item)) for name, item in variables.items()}
        else:
            text, local = argument, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return local[name]
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")


class _NoValue(str):
    """What ``Ref: AWS::NoValue`` resolves to: the property or list entry holding it disappears."""

    __slots__ = ()


NO_VALUE = _NoValue()


def evaluate_conditions(definitions: dict[str, Any], resolver: Resolver) -> dict[str, bool]:
    """The template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), each evaluated once."""
    results: dict[str, bool] = {}

    def evaluate(expression: Any) -> bool:
        ((function, argument),) = expression.items()
        if function == "Condition":
            return condition(argument)
        if function == "Fn::Equals":
            left, right = (resolver.resolve(item) for item in argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not evaluate(argument[0])
        if function == "Fn::And":
            return all(evaluate(item) for item in argument)
        if function == "Fn::Or":
            return any(evaluate(item) for item in argument)
        raise UnresolvableError(f"unsupported condition function {function}")

    def condition(name: str) -> bool:
        if name not in results:
            results[name] = evaluate(definitions[name])
        return results[name]

    for name in definitions:
        condition(name)
    return results
