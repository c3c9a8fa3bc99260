"""Deciding one request against identity-based policies and a resource-based policy.

Follows the IAM User Guide pages "Policy evaluation logic" and "Cross-account policy evaluation
logic": an explicit Deny in any policy wins; within one account an Allow in either the
identity-based policies or the resource-based policy grants access; across accounts both must.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from iam_eval.conditions import ConditionClause, PreparedValues, RequestValue
from iam_eval.model import AccessRequest, ContextValue, Decision, Outcome, Principal, PrincipalKind
from iam_eval.patterns import (
    Token,
    UnresolvedVariableError,
    VariableLookup,
    glob_regex,
    tokenize,
    variable_before_resource_part,
)
from iam_eval.policy import Effect, Policy, PrincipalSpec, Statement, parse_policy

# Root users, anonymous callers and services cannot have identity-based policies attached.
_KINDS_WITH_IDENTITY_POLICIES = frozenset({PrincipalKind.USER, PrincipalKind.ROLE_SESSION})

# IAM User Guide, "Policy variables", principal key values for aws:PrincipalType.
_PRINCIPAL_TYPES: Mapping[PrincipalKind, str] = {
    PrincipalKind.USER: "User",
    PrincipalKind.ROLE_SESSION: "AssumedRole",
    PrincipalKind.ROOT: "Account",
    PrincipalKind.ANONYMOUS: "Anonymous",
}


def evaluate(
    request: AccessRequest,
    *,
    identity_policies: Sequence[Mapping[str, object]],
    resource_policy: Mapping[str, object] | None = None,
    resource_account: str | None = None,
) -> Decision:
    """Decide whether `request` is allowed.

    Args:
        request: the caller, action, resource and request context.
        identity_policies: the policy documents attached to the calling user or role (inline,
            managed and group policies alike). Must be empty for root users, services and
            anonymous callers, which have none.
        resource_policy: the resource-based policy of the resource, if it has one.
        resource_account: the account owning the resource; None means the caller's account.

    Before evaluating, the request context is completed with the keys derived from the principal,
    unless the caller supplied them: `aws:PrincipalArn` (the role ARN for a role session),
    `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:username` (users), `aws:PrincipalIsAWSService`
    and `aws:PrincipalServiceName` (services).

    Raises:
        PolicyError: a policy document is malformed.
        ValueError: the request is inconsistent (identity policies for a principal that cannot
            have any, a context key given twice, a context value an operator cannot interpret).
    """
    principal = request.principal
    if identity_policies and principal.kind not in _KINDS_WITH_IDENTITY_POLICIES:
        raise ValueError(f"a {principal.kind.value} principal has no identity-based policies")
    parsed_identity_policies = [
        parse_policy(document, label=f"identity policy #{index}", resource_based=False)
        for index, document in enumerate(identity_policies)
    ]
    parsed_resource_policy = (
        parse_policy(resource_policy, label="resource policy", resource_based=True)
        if resource_policy is not None
        else None
    )
    context = _request_context(request)
    tally = _Tally()

    for policy in parsed_identity_policies:
        for statement in policy.statements:
            if _statement_applies(statement, policy, request, context, tally.warnings):
                target = tally.explicit_denies if statement.effect is Effect.DENY else tally.identity_allows
                target.append(statement.label)

    if parsed_resource_policy is not None:
        for statement in parsed_resource_policy.statements:
            match = _principal_match(statement, principal)
            if match is _PrincipalMatch.NONE:
                continue
            if not _statement_applies(statement, parsed_resource_policy, request, context, tally.warnings):
                continue
            if statement.effect is Effect.DENY:
                tally.explicit_denies.append(statement.label)
            elif match is _PrincipalMatch.DIRECT:
                tally.resource_allows.append(statement.label)
            else:
                tally.account_allows.append(statement.label)

    return _decide(principal, tally, resource_account)


@dataclass
class _Tally:
    """The statements that applied to the request, sorted by what they contribute."""

    explicit_denies: list[str] = field(default_factory=list)
    identity_allows: list[str] = field(default_factory=list)
    # Resource-policy Allows naming the caller itself (its ARN, its role, "*" or its service).
    resource_allows: list[str] = field(default_factory=list)
    # Resource-policy Allows naming only the caller's account: a delegation to that account.
    account_allows: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _PrincipalMatch(Enum):
    NONE = "none"
    ACCOUNT = "account"
    DIRECT = "direct"


def _decide(principal: Principal, tally: _Tally, resource_account: str | None) -> Decision:
    if tally.explicit_denies:
        # "If the code finds even one explicit deny that applies, the code returns a final
        # decision of Deny."
        outcome, reasons = (
            Outcome.EXPLICIT_DENY,
            [f"explicitly denied by {label}" for label in tally.explicit_denies],
        )
    elif principal.account_id is None:
        outcome, reasons = _decide_without_account(tally)
    elif resource_account is None or resource_account == principal.account_id:
        outcome, reasons = _decide_within_account(principal, tally)
    else:
        outcome, reasons = _decide_across_accounts(principal, tally, resource_account)
    return Decision(outcome, tuple(reasons), tuple(tally.warnings))


def _decide_without_account(tally: _Tally) -> tuple[Outcome, list[str]]:
    # Services and anonymous callers have no identity-based policies: only a resource-based
    # policy naming them (or "*") can grant access.
    if tally.resource_allows:
        return Outcome.ALLOW, [f"allowed by {label}" for label in tally.resource_allows]
    return Outcome.IMPLICIT_DENY, ["no resource-based policy statement allows this caller"]


def _decide_within_account(principal: Principal, tally: _Tally) -> tuple[Outcome, list[str]]:
    # "If an action is allowed by an identity-based policy, a resource-based policy, or both,
    # then AWS allows the action."
    grants = _identity_grants(principal, tally) + tally.resource_allows
    if grants:
        return Outcome.ALLOW, [f"allowed by {label}" for label in grants]
    reasons = ["no identity-based or resource-based policy statement allows the request"]
    reasons += [
        f"{label} names only the account {principal.account_id}, which leaves the decision to "
        "identity-based policies"
        for label in tally.account_allows
    ]
    return Outcome.IMPLICIT_DENY, reasons


def _decide_across_accounts(
    principal: Principal, tally: _Tally, resource_account: str
) -> tuple[Outcome, list[str]]:
    # "The request is allowed only if both evaluations return a decision of Allow."
    identity_grants = _identity_grants(principal, tally)
    resource_grants = tally.resource_allows + tally.account_allows
    crossing = (
        f"cross-account request from account {principal.account_id} "
        f"to a resource of account {resource_account}"
    )
    if identity_grants and resource_grants:
        return Outcome.ALLOW, [
            f"{crossing}: both sides allow it",
            *(f"allowed by {label}" for label in identity_grants + resource_grants),
        ]
    if identity_grants:
        reason = f"{crossing}: identity-based policies allow it but no resource-based policy statement does"
    elif resource_grants:
        reason = f"{crossing}: the resource-based policy allows it but no identity-based policy does"
    else:
        reason = f"{crossing}: no policy statement allows it"
    return Outcome.IMPLICIT_DENY, [reason]


def _identity_grants(principal: Principal, tally: _Tally) -> list[str]:
    if principal.kind is PrincipalKind.ROOT:
        # "By default, all requests are implicitly denied with the exception of the AWS account
        # root user, which has full access."
        return [f"the root user of account {principal.account_id} (full access within its account)"]
    return list(tally.identity_allows)


def _request_context(request: AccessRequest) -> dict[str, RequestValue]:
    """The request context with lower-cased key names ("Context key names are not case-sensitive")."""
    context: dict[str, RequestValue] = {}
    for name, value in request.context.items():
        key = name.lower()
        if key in context:
            raise ValueError(f"context key {name!r} is given twice (key names are case-insensitive)")
        context[key] = _normalise_context_value(name, value)
    for name, derived in _principal_context(request.principal).items():
        context.setdefault(name.lower(), derived)
    return context


def _normalise_context_value(name: str, value: ContextValue) -> RequestValue:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    items = tuple(value)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"context key {name!r} must hold strings, got {value!r}")
    return items


def _principal_context(principal: Principal) -> dict[str, str]:
    derived: dict[str, str] = {}
    if principal.principal_arn is not None:
        derived["aws:PrincipalArn"] = principal.principal_arn
    if principal.account_id is not None:
        derived["aws:PrincipalAccount"] = principal.account_id
    if principal.kind in _PRINCIPAL_TYPES:
        derived["aws:PrincipalType"] = _PRINCIPAL_TYPES[principal.kind]
    if principal.kind is PrincipalKind.USER and principal.arn is not None:
        derived["aws:username"] = principal.arn.rsplit("/", 1)[-1]
    if principal.service_name is not None:
        derived["aws:PrincipalServiceName"] = principal.service_name
        derived["aws:PrincipalIsAWSService"] = "true"
    elif principal.kind is not PrincipalKind.ANONYMOUS:
        derived["aws:PrincipalIsAWSService"] = "false"
    return derived


def _variable_lookup(context: Mapping[str, RequestValue]) -> VariableLookup:
    def lookup(name: str) -> str | None:
        # Multivalued keys cannot be policy variables ("you can't use multivalued context keys
        # as policy variables"), so only a single value resolves.
        value = context.get(name.lower())
        return value if isinstance(value, str) else None

    return lookup


def _statement_applies(
    statement: Statement,
    policy: Policy,
    request: AccessRequest,
    context: Mapping[str, RequestValue],
    warnings: list[str],
) -> bool:
    """Whether Action, Resource and Condition of the statement all match (Principal is separate)."""
    if not _action_matches(statement, request.action):
        return False
    lookup = _variable_lookup(context) if policy.variables_enabled else None
    if not _resource_matches(statement, request.resource, lookup, warnings):
        return False
    return _conditions_hold(statement, context, lookup, warnings)


def _action_matches(statement: Statement, action: str) -> bool:
    # Action names are not case-sensitive; `*` and `?` are wildcards, the service prefix included.
    listed = any(
        glob_regex(tokenize(pattern, None), ignore_case=True).fullmatch(action) is not None
        for pattern in statement.actions
    )
    return listed != statement.actions_negated


def _resource_matches(
    statement: Statement, resource: str, lookup: VariableLookup | None, warnings: list[str]
) -> bool:
    if statement.resources is None:
        # A resource-based policy statement without Resource covers the resource it is attached to.
        return True
    patterns = _resource_patterns(statement, statement.resources, lookup, warnings)
    listed = any(glob_regex(tokens, ignore_case=False).fullmatch(resource) is not None for tokens in patterns)
    # An entry left out lists nothing. Under NotResource it therefore excludes nothing: the
    # statement covers every resource its other entries do not exclude (all of them, when it has
    # no other entry).
    return listed != statement.resources_negated


def _resource_patterns(
    statement: Statement, entries: tuple[str, ...], lookup: VariableLookup | None, warnings: list[str]
) -> list[tuple[Token, ...]]:
    """The Resource or NotResource entries as patterns, leaving out those that match nothing.

    An entry matches nothing, while the others still match, when it has a policy variable before
    the fifth colon - IAM substitutes variables only in "the resource portion of the ARN" - or a
    variable without a value: "If a variable that has no value in the authorization context is
    used as part of the Resource or NotResource element of a policy, the resource that includes a
    policy variable with no value will not match any resource." Neither voids the statement.
    """
    element = "NotResource" if statement.resources_negated else "Resource"
    patterns: list[tuple[Token, ...]] = []
    for entry in entries:
        misplaced = variable_before_resource_part(entry) if lookup is not None else None
        if misplaced is not None:
            warnings.append(
                f"{statement.label}: {element} {entry!r} matches nothing: the policy variable "
                f"{misplaced} comes before the fifth colon, outside the resource part of the ARN"
            )
            continue
        try:
            patterns.append(tokenize(entry, lookup))
        except UnresolvedVariableError as error:
            warnings.append(f"{statement.label}: {element} {entry!r} matches nothing: {error}")
    return patterns


def _conditions_hold(
    statement: Statement,
    context: Mapping[str, RequestValue],
    lookup: VariableLookup | None,
    warnings: list[str],
) -> bool:
    unknown = [clause.operator_name for clause in statement.conditions if clause.operator is None]
    if unknown:
        warnings.append(
            f"{statement.label} does not apply: unknown condition operator(s) {', '.join(unknown)}"
        )
        return False
    prepared: list[tuple[ConditionClause, PreparedValues]] = []
    for clause in statement.conditions:
        # Every clause is prepared before any is evaluated, so that a value the operator cannot
        # interpret is an error, and a variable without a value is noted, whatever the order of
        # the clauses.
        try:
            values = clause.prepare(lookup)
        except ValueError as error:
            raise _condition_error(statement, clause, error) from error
        warnings.extend(
            f"{statement.label}: condition {clause.operator_name} on {clause.key}: the value "
            f"{unresolved.value!r} matches nothing: policy variable ${{{unresolved.variable}}} has no "
            "value in the request context"
            for unresolved in values.unresolved
        )
        prepared.append((clause, values))
    for clause, values in prepared:
        try:
            holds = clause.holds(context.get(clause.key.lower()), values.tests)
        except ValueError as error:
            raise _condition_error(statement, clause, error) from error
        if not holds:
            return False
    return True


def _condition_error(statement: Statement, clause: ConditionClause, error: ValueError) -> ValueError:
    return ValueError(f"{statement.label}: condition {clause.operator_name} on {clause.key}: {error}")


def _principal_match(statement: Statement, principal: Principal) -> _PrincipalMatch:
    spec = statement.principals
    if spec is None:
        return _PrincipalMatch.NONE
    if statement.principals_negated:
        return _PrincipalMatch.NONE if _exempt_from_not_principal(spec, principal) else _PrincipalMatch.DIRECT
    return _named_by_principal(spec, principal)


def _named_by_principal(spec: PrincipalSpec, principal: Principal) -> _PrincipalMatch:
    if spec.everyone:
        return _PrincipalMatch.DIRECT
    if principal.kind is PrincipalKind.SERVICE:
        return _PrincipalMatch.DIRECT if principal.service_name in spec.services else _PrincipalMatch.NONE
    # A role ARN covers the role's sessions; a session ARN covers that session only.
    for arn in (principal.arn, principal.role_arn):
        if arn is not None and arn in spec.arns:
            return _PrincipalMatch.DIRECT
    if principal.account_id is not None and principal.account_id in spec.accounts:
        # Naming an account "delegates authority to the account": it grants the root user, and
        # leaves the account's users and roles to their identity-based policies.
        return _PrincipalMatch.DIRECT if principal.kind is PrincipalKind.ROOT else _PrincipalMatch.ACCOUNT
    return _PrincipalMatch.NONE


def _exempt_from_not_principal(spec: PrincipalSpec, principal: Principal) -> bool:
    """Whether NotPrincipal lists the caller, so that the statement does not apply to it.

    AWS may validate "the account first, then the role, and then the assumed-role user", and a
    Deny whose NotPrincipal misses the account "might deny access to the entire account": the
    caller is exempt only when every identity in its chain - account, then user or role, then
    role session - is listed.
    """
    if spec.everyone:
        return True
    if principal.kind is PrincipalKind.SERVICE:
        return principal.service_name in spec.services
    if principal.account_id is None:
        return False
    chain_listed = [principal.account_id in spec.accounts]
    if principal.kind is not PrincipalKind.ROOT:
        chain_listed += [arn in spec.arns for arn in (principal.role_arn, principal.arn) if arn is not None]
    return all(chain_listed)
