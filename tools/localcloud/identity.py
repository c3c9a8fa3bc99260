"""Who is calling, and what their policies say: read from the local cloud's IAM and STS state.

Every component that authorises a request (the AWS endpoint, the local API Gateway, the local AppSync)
asks the same directory, so an access key means the same principal and the same policies everywhere.
The directory reads moto's IAM and STS backends of the local cloud's own process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote

from moto.iam.exceptions import NotFoundException
from moto.iam.models import IAMBackend, iam_backends
from moto.sts.models import STSBackend, sts_backends

from iam_eval import AccessRequest, Principal, evaluate

PolicyDocument = Mapping[str, Any]


class TrustPolicyError(PermissionError):
    """A role's trust policy does not let this principal assume it."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expiration: datetime | None = None


@dataclass(frozen=True)
class Caller:
    """The principal behind an access key, its identity-based policies and the key's secrets."""

    principal: Principal
    identity_policies: tuple[PolicyDocument, ...]
    secret_access_key: str
    session_token: str | None
    """The token issued with temporary credentials; None for a long-term user key."""
    expiration: datetime | None


class IdentityDirectory(Protocol):
    def caller_for(self, access_key_id: str) -> Caller | None:
        """The caller owning ``access_key_id``; None if no such key exists (or it is inactive)."""
        ...

    def role_credentials(self, role_arn: str, session_name: str) -> Credentials:
        """Temporary credentials of a role session, as STS AssumeRole would return them."""
        ...


class MotoIdentityDirectory:
    """An :class:`IdentityDirectory` over moto's in-process IAM and STS backends."""

    def __init__(self, account_id: str, region: str, partition: str = "aws") -> None:
        self._account_id = account_id
        self._region = region
        self._partition = partition
        self._sessions: dict[tuple[str, str], Credentials] = {}
        self._lock = threading.Lock()

    @property
    def _iam(self) -> IAMBackend:
        return iam_backends[self._account_id][self._partition]

    @property
    def _sts(self) -> STSBackend:
        return sts_backends[self._account_id][self._partition]

    def caller_for(self, access_key_id: str) -> Caller | None:
        for session in reversed(self._sts.assumed_roles):
            if session.access_key_id == access_key_id:
                if not self._role_exists(session.role_arn):
                    return None  # the role was deleted: its sessions' keys are worth nothing
                return self._role_session_caller(session)
        for user in self._iam.users.values():
            for key in user.access_keys:
                if key.access_key_id == access_key_id and key.status == "Active":
                    return Caller(
                        principal=Principal.user(user.arn),
                        identity_policies=tuple(self._user_policies(user)),
                        secret_access_key=key.secret_access_key,
                        session_token=None,
                        expiration=None,
                    )
        return None

    def service_role_credentials(
        self, role_arn: str, service: str, session_name: str, context: Mapping[str, str] | None = None
    ) -> Credentials:
        """What a service (``lambda.amazonaws.com``...) gets when it assumes ``role_arn`` for you:
        refused unless the role's trust policy admits that service (with ``context`` such as
        ``aws:SourceAccount`` for the trust policy's conditions)."""
        role = self._iam.get_role_by_arn(role_arn)
        decision = evaluate(
            AccessRequest(Principal.service(service), "sts:AssumeRole", role_arn, dict(context or {})),
            identity_policies=[],
            resource_policy=_document(role.assume_role_policy_document),
            resource_account=self._account_id,
        )
        if not decision.allowed:
            raise TrustPolicyError(
                f"{service} may not assume {role_arn}: " + "; ".join(decision.reasons or ("not trusted",))
            )
        return self.role_credentials(role_arn, session_name)

    def role_credentials(self, role_arn: str, session_name: str) -> Credentials:
        """Cached per (role, session name) until shortly before expiry: each AssumeRole adds a session
        that every later key lookup scans."""
        with self._lock:
            cached = self._sessions.get((role_arn, session_name))
            if cached and cached.expiration and (cached.expiration - datetime.now(UTC)).total_seconds() > 300:
                return cached
            session = self._sts.assume_role(
                region_name=self._region,
                role_session_name=session_name,
                role_arn=role_arn,
                policy="",
                duration=3600,
                external_id="",
            )
            credentials = Credentials(
                access_key_id=session.access_key_id,
                secret_access_key=session.secret_access_key,
                session_token=session.session_token,
                expiration=_aware(session.expiration),
            )
            self._sessions[(role_arn, session_name)] = credentials
            return credentials

    def forget_sessions(self) -> None:
        with self._lock:
            self._sessions.clear()

    def role_policies(self, role_arn: str) -> list[PolicyDocument]:
        role = self._iam.get_role_by_arn(role_arn)
        documents: list[PolicyDocument] = [_document(text) for text in role.policies.values()]
        documents.extend(_managed_document(policy) for policy in role.managed_policies.values())
        return documents

    def _role_exists(self, role_arn: str) -> bool:
        try:
            self._iam.get_role_by_arn(role_arn)
        except NotFoundException:
            return False
        return True

    def _role_session_caller(self, session: Any) -> Caller:
        return Caller(
            principal=Principal.role_session(session.role_arn, session.session_name),
            identity_policies=tuple(self.role_policies(session.role_arn)),
            secret_access_key=session.secret_access_key,
            session_token=session.session_token,
            expiration=_aware(session.expiration),
        )

    def _user_policies(self, user: Any) -> list[PolicyDocument]:
        documents: list[PolicyDocument] = [_document(text) for text in user.policies.values()]
        documents.extend(_managed_document(policy) for policy in user.managed_policies.values())
        for group in self._iam.get_groups_for_user(user.name):
            documents.extend(_document(text) for text in group.policies.values())
            documents.extend(_managed_document(policy) for policy in group.managed_policies.values())
        return documents


def _document(text: str | Mapping[str, Any]) -> PolicyDocument:
    """IAM returns policy documents URL-encoded; moto stores what it was given, encoded or not."""
    if isinstance(text, Mapping):
        return text
    decoded = text if text.lstrip().startswith("{") else unquote(text)
    document: PolicyDocument = json.loads(decoded)
    return document


def _managed_document(policy: Any) -> PolicyDocument:
    [default] = [version for version in policy.versions if version.is_default]
    return _document(default.document)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
