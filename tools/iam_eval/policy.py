"""Reading policy documents into statements, rejecting malformed ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from iam_eval.conditions import ConditionClause, parse_condition_block


class PolicyError(ValueError):
    """A policy document IAM would refuse: the message names the policy and the statement."""


class Effect(Enum):
    ALLOW = "Allow"
    DENY = "Deny"


# IAM JSON policy elements: Version. Variables exist only in 2012-10-17; without a Version element
# the language is 2008-10-17, where `${...}` is literal text.
_VERSION_WITH_VARIABLES = "2012-10-17"
_VERSION_WITHOUT_VARIABLES = "2008-10-17"
_POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:[a-z0-9-]+:iam::(?P<account>\d{12}):root$")


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """The principals a `Principal` or `NotPrincipal` element names.

    Attributes:
        everyone: `"*"` or `{"AWS": "*"}`.
        accounts: account ids named by id or by root ARN; they stand for every principal of the
            account ("This delegates authority to the account").
        arns: the user, role and role session ARNs named. Matched exactly: "You cannot use a
            wildcard to match part of a principal name or ARN."
        services: the service principals named under `Service`.
    """

    everyone: bool
    accounts: frozenset[str]
    arns: frozenset[str]
    services: frozenset[str]


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement, with its element values normalised to tuples.

    `resources` is None for a resource-based policy statement without Resource/NotResource: it
    applies to the resource the policy is attached to.
    """

    label: str
    effect: Effect
    actions: tuple[str, ...]
    actions_negated: bool
    resources: tuple[str, ...] | None
    resources_negated: bool
    principals: PrincipalSpec | None
    principals_negated: bool
    conditions: tuple[ConditionClause, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    label: str
    variables_enabled: bool
    statements: tuple[Statement, ...]


def parse_policy(document: Mapping[str, object], *, label: str, resource_based: bool) -> Policy:
    """Read a policy document. Raises PolicyError for anything IAM would refuse to store.

    `resource_based` selects the rules for resource-based policies (Principal required, Resource
    optional) instead of those for identity-based ones (no Principal, Resource required).
    """
    if not isinstance(document, Mapping):
        raise PolicyError(f"{label}: a policy document must be an object")
    unknown = sorted(set(document) - _POLICY_ELEMENTS)
    if unknown:
        raise PolicyError(f"{label}: unknown policy element(s) {', '.join(unknown)}")
    if "Id" in document and isinstance(document["Id"], str):
        label = f"{label} {document['Id']!r}"
    version = document.get("Version", _VERSION_WITHOUT_VARIABLES)
    if version not in {_VERSION_WITH_VARIABLES, _VERSION_WITHOUT_VARIABLES}:
        raise PolicyError(
            f"{label}: Version must be {_VERSION_WITH_VARIABLES} or {_VERSION_WITHOUT_VARIABLES}"
        )
    variables_enabled = version == _VERSION_WITH_VARIABLES
    raw_statements = document.get("Statement")
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyError(f"{label}: Statement must be a statement object or a non-empty list of them")
    statements = tuple(
        _parse_statement(
            raw,
            label=f"{label} {_statement_name(raw, index)}",
            resource_based=resource_based,
            variables_enabled=variables_enabled,
        )
        for index, raw in enumerate(raw_statements)
    )
    return Policy(label=label, variables_enabled=variables_enabled, statements=statements)


def _statement_name(raw: object, index: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("Sid"), str) and raw["Sid"]:
        return f"statement {raw['Sid']!r}"
    return f"statement #{index}"


def _parse_statement(raw: object, *, label: str, resource_based: bool, variables_enabled: bool) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{label}: a statement must be an object")
    unknown = sorted(str(name) for name in set(raw) - _STATEMENT_ELEMENTS)
    if unknown:
        raise PolicyError(f"{label}: unknown statement element(s) {', '.join(unknown)}")
    if "Sid" in raw and not isinstance(raw["Sid"], str):
        raise PolicyError(f"{label}: Sid must be a string")

    if "Effect" not in raw:
        raise PolicyError(f"{label}: Effect is missing")
    try:
        effect = Effect(raw["Effect"])
    except ValueError:
        raise PolicyError(f"{label}: Effect must be Allow or Deny, not {raw['Effect']!r}") from None

    actions, actions_negated = _exclusive_pair(raw, "Action", "NotAction", label=label)
    if actions is None:
        raise PolicyError(f"{label}: one of Action or NotAction is required")

    resources, resources_negated = _exclusive_pair(raw, "Resource", "NotResource", label=label)
    if resources is None and not resource_based:
        raise PolicyError(f"{label}: one of Resource or NotResource is required in an identity-based policy")

    principals, principals_negated = _principal_element(raw, label=label, resource_based=resource_based)

    try:
        conditions = (
            parse_condition_block(raw["Condition"], variables_enabled=variables_enabled)
            if "Condition" in raw
            else ()
        )
    except ValueError as error:
        raise PolicyError(f"{label}: {error}") from None

    return Statement(
        label=label,
        effect=effect,
        actions=actions,
        actions_negated=actions_negated,
        resources=resources,
        resources_negated=resources_negated,
        principals=principals,
        principals_negated=principals_negated,
        conditions=conditions,
    )


def _exclusive_pair(
    raw: Mapping[object, object], positive: str, negative: str, *, label: str
) -> tuple[tuple[str, ...] | None, bool]:
    """The values of `positive` or of `negative` (then flagged as negated); never both."""
    if positive in raw and negative in raw:
        raise PolicyError(f"{label}: {positive} and {negative} cannot both be present")
    if positive in raw:
        return _string_list(raw[positive], element=positive, label=label), False
    if negative in raw:
        return _string_list(raw[negative], element=negative, label=label), True
    return None, False


def _string_list(value: object, *, element: str, label: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise PolicyError(f"{label}: {element} must be a non-empty string or a non-empty list of them")
    return tuple(str(item) for item in items)


def _principal_element(
    raw: Mapping[object, object], *, label: str, resource_based: bool
) -> tuple[PrincipalSpec | None, bool]:
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if not resource_based:
        if has_principal:
            raise PolicyError(f"{label}: Principal/NotPrincipal cannot be used in an identity-based policy")
        return None, False
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError(f"{label}: Principal and NotPrincipal cannot both be present")
    if not has_principal:
        raise PolicyError(f"{label}: a resource-based policy statement needs Principal or NotPrincipal")
    negated = "NotPrincipal" in raw
    element = "NotPrincipal" if negated else "Principal"
    return _principal_spec(raw[element], element=element, label=label), negated


def _principal_spec(value: object, *, element: str, label: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(everyone=True, accounts=frozenset(), arns=frozenset(), services=frozenset())
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{label}: {element} must be "*" or an object such as {{"AWS": [...]}}')
    unknown = sorted(str(name) for name in set(value) - _PRINCIPAL_TYPES)
    if unknown:
        raise PolicyError(f"{label}: unknown principal type(s) {', '.join(unknown)} in {element}")
    aws = _string_list(value["AWS"], element=f"{element}.AWS", label=label) if "AWS" in value else ()
    services = (
        _string_list(value["Service"], element=f"{element}.Service", label=label)
        if "Service" in value
        else ()
    )
    # Federated and CanonicalUser principals are accepted but never match: the callers modelled
    # here are IAM users, role sessions, root users, services and anonymous callers.
    for other in ("Federated", "CanonicalUser"):
        if other in value:
            _string_list(value[other], element=f"{element}.{other}", label=label)
    accounts: set[str] = set()
    arns: set[str] = set()
    for name in aws:
        root = _ROOT_ARN.match(name)
        if _ACCOUNT_ID.match(name):
            accounts.add(name)
        elif root is not None:
            accounts.add(root["account"])
        elif name != "*":
            arns.add(name)
    return PrincipalSpec(
        # "For anonymous users, the following elements are equivalent: "Principal": "*" and
        # "Principal": {"AWS": "*"}".
        everyone="*" in aws,
        accounts=frozenset(accounts),
        arns=frozenset(arns),
        services=frozenset(services),
    )
