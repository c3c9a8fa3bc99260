"""The request being authorised, who makes it, and the decision."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

type ContextValue = str | Sequence[str] | bool | int
"""A request context value: a single string, a multivalued key's strings, a boolean or a number."""


class PrincipalKind(Enum):
    """The kinds of caller the evaluator distinguishes."""

    USER = "user"
    ROLE_SESSION = "role_session"
    ROOT = "root"
    SERVICE = "service"
    ANONYMOUS = "anonymous"


_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>[a-z0-9-]+):iam::(?P<account>\d{12}):role/(?:.+/)?(?P<name>[^/]+)$"
)
_USER_ARN = re.compile(
    r"^arn:(?P<partition>[a-z0-9-]+):iam::(?P<account>\d{12}):user/(?:.+/)?(?P<name>[^/]+)$"
)
# AWS STS: RoleSessionName is made of word characters and +=,.@-
_SESSION_NAME = re.compile(r"^[\w+=,.@-]+$")
_SERVICE_NAME = re.compile(r"^\S+$")


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, described by the identifiers IAM matches policies against.

    Build one with `user`, `role_session`, `root`, `service` or `anonymous` rather than directly.

    Attributes:
        kind: what sort of caller this is.
        account_id: the caller's account; None for services and anonymous callers.
        arn: the ARN of the caller itself - the user ARN, the root ARN
            (`arn:aws:iam::ACCOUNT:root`) or, for a role session, the assumed-role session ARN
            `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
        role_arn: for a role session, the ARN of the role, path included
            (`arn:aws:iam::ACCOUNT:role/PATH/ROLE`); None otherwise.
        service_name: for a service, its service principal (`appsync.amazonaws.com`).
    """

    kind: PrincipalKind
    account_id: str | None = None
    arn: str | None = None
    role_arn: str | None = None
    service_name: str | None = None

    def __post_init__(self) -> None:
        has_account_identity = self.kind in {
            PrincipalKind.USER,
            PrincipalKind.ROLE_SESSION,
            PrincipalKind.ROOT,
        }
        expected_fields = {
            "account_id": has_account_identity,
            "arn": has_account_identity,
            "role_arn": self.kind is PrincipalKind.ROLE_SESSION,
            "service_name": self.kind is PrincipalKind.SERVICE,
        }
        for name, expected in expected_fields.items():
            if (getattr(self, name) is not None) != expected:
                requirement = "requires" if expected else "must not have"
                raise ValueError(f"a {self.kind.value} principal {requirement} {name}")
        if self.account_id is not None and not _ACCOUNT_ID.match(self.account_id):
            raise ValueError(f"account id {self.account_id!r} is not 12 digits")

    @classmethod
    def user(cls, user_arn: str) -> Principal:
        """An IAM user, from its ARN (`arn:aws:iam::123456789012:user/PATH/NAME`)."""
        match = _USER_ARN.match(user_arn)
        if match is None:
            raise ValueError(f"{user_arn!r} is not an IAM user ARN")
        return cls(kind=PrincipalKind.USER, account_id=match["account"], arn=user_arn)

    @classmethod
    def role_session(cls, role_arn: str, session_name: str) -> Principal:
        """A session of an assumed IAM role, from the role ARN and the role session name."""
        match = _ROLE_ARN.match(role_arn)
        if match is None:
            raise ValueError(f"{role_arn!r} is not an IAM role ARN")
        if not _SESSION_NAME.match(session_name):
            raise ValueError(f"{session_name!r} is not a valid role session name")
        # The session ARN carries the role name without its path.
        session_arn = (
            f"arn:{match['partition']}:sts::{match['account']}:assumed-role/{match['name']}/{session_name}"
        )
        return cls(
            kind=PrincipalKind.ROLE_SESSION,
            account_id=match["account"],
            arn=session_arn,
            role_arn=role_arn,
        )

    @classmethod
    def root(cls, account_id: str, partition: str = "aws") -> Principal:
        """The root user of an account."""
        return cls(
            kind=PrincipalKind.ROOT, account_id=account_id, arn=f"arn:{partition}:iam::{account_id}:root"
        )

    @classmethod
    def service(cls, name: str) -> Principal:
        """An AWS service acting as itself, named by its service principal (`sns.amazonaws.com`)."""
        if not _SERVICE_NAME.match(name):
            raise ValueError(f"{name!r} is not a service principal name")
        return cls(kind=PrincipalKind.SERVICE, service_name=name)

    @classmethod
    def anonymous(cls) -> Principal:
        """An unauthenticated caller."""
        return cls(kind=PrincipalKind.ANONYMOUS)

    @property
    def principal_arn(self) -> str | None:
        """The value of `aws:PrincipalArn`: the role ARN for a role session, else the caller's ARN."""
        return self.role_arn if self.role_arn is not None else self.arn

    @property
    def root_arn(self) -> str | None:
        """The ARN of the account the caller belongs to, when it belongs to one."""
        if self.account_id is None or self.arn is None:
            return None
        partition = self.arn.split(":", 2)[1]
        return f"arn:{partition}:iam::{self.account_id}:root"


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One call to authorise.

    Attributes:
        principal: who calls.
        action: `service:Action`, e.g. `dynamodb:GetItem` or `execute-api:Invoke`.
        resource: the ARN of the resource the action is on.
        context: request context keys (`aws:SourceIp`, `aws:SecureTransport`, service keys ...).
            Key names are case-insensitive. The evaluator adds the keys it can derive from the
            principal (see `evaluate`) unless they are given here.
    """

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


class Outcome(Enum):
    """The three results of IAM policy evaluation."""

    EXPLICIT_DENY = "explicit_deny"
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit_deny"


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of `evaluate`.

    Attributes:
        outcome: explicit deny, allow, or implicit deny.
        reasons: human-readable lines naming the statements that decided the outcome.
        warnings: what a reader of the policies might not expect: a statement treated as not
            applying because of an unknown condition operator, and Resource entries or condition
            values that match nothing because a policy variable in them has no value or, in a
            Resource ARN, comes before the fifth colon.
    """

    outcome: Outcome
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW
