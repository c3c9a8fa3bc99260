"""Who is calling the GraphQL API, decided as AppSync decides it.

The ``Authorization`` header names the mode: a SigV4 signature (``AWS4-HMAC-SHA256 ...``) is AWS_IAM,
anything else is taken for a Cognito user pool token. A request that no configured mode authenticates
is refused as a whole with AppSync's 401 ``UnauthorizedException``; once authenticated, each field
still has to admit the caller's mode (see ``schema.field_auth_rules``), and an IAM caller needs
``appsync:GraphQL`` on each top-level field it asks for (:meth:`Authenticator.iam_allows`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from iam_eval import AccessRequest, evaluate
from localcloud.appsync.definition import ApiDefinition, AuthenticationType, UserPoolConfig
from localcloud.identity import Caller, Credentials, IdentityDirectory
from localcloud.sigv4 import SignatureError, verify

SIGV4_PREFIX = "AWS4-HMAC-SHA256"
# AppSync's messages for the ways a request fails to authenticate.
NO_AUTHORIZATION = "Valid authorization header not provided."
UNREADABLE_JWT = "Unable to parse JWT token."
EXPIRED_JWT = "Token has expired."
NOT_AUTHORIZED = "You are not authorized to make this call."
_TOKEN_USES = frozenset({"id", "access"})
_JWKS_TIMEOUT_SECONDS = 5.0


class AppSyncDirectory(IdentityDirectory, Protocol):
    """The identity directory, as the local AppSync uses it: callers' keys, and data source roles."""

    def service_role_credentials(
        self, role_arn: str, service: str, session_name: str, context: Mapping[str, str] | None = None
    ) -> Credentials: ...


class KeySource(Protocol):
    """The signing keys of a user pool (its JWKS)."""

    def key_set(self, user_pool: UserPoolConfig) -> KeySet: ...


class RequestRefusedError(Exception):
    """The request is refused as a whole: AppSync answers with this status and one error."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def unauthorized(message: str) -> RequestRefusedError:
    return RequestRefusedError(401, "UnauthorizedException", message)


@dataclass(frozen=True)
class Authenticated:
    """An authenticated caller: its mode, AppSync's ``ctx.identity`` for it, and what auth rules need."""

    mode: AuthenticationType
    identity: dict[str, Any]
    groups: frozenset[str] = frozenset()
    caller: Caller | None = None
    """The IAM principal and its policies (AWS_IAM only)."""


class JwksEndpoint:
    """User pool keys fetched from a JWKS URL, e.g. the local Cognito's ``/{pool}/.well-known/jwks.json``.

    url_for: user pool -> its JWKS URL. Keys are fetched once per pool and kept.
    """

    def __init__(self, url_for: Callable[[UserPoolConfig], str]) -> None:
        self._url_for = url_for
        self._keys: dict[str, KeySet] = {}
        self._lock = threading.Lock()

    @classmethod
    def under(cls, base_url: str) -> JwksEndpoint:
        """Keys served as Cognito serves them, under ``base_url`` (moto's server serves them so)."""
        base = base_url.rstrip("/")
        return cls(lambda pool: f"{base}/{pool.user_pool_id}/.well-known/jwks.json")

    def key_set(self, user_pool: UserPoolConfig) -> KeySet:
        with self._lock:
            cached = self._keys.get(user_pool.user_pool_id)
            if cached is None:
                url = self._url_for(user_pool)
                response = requests.get(url, timeout=_JWKS_TIMEOUT_SECONDS)
                response.raise_for_status()
                cached = KeySet.import_key_set(response.json())
                self._keys[user_pool.user_pool_id] = cached
            return cached


class StaticKeys:
    """User pool keys given up front: user pool id -> its JWKS document."""

    def __init__(self, jwks_by_pool: Mapping[str, Mapping[str, Any]]) -> None:
        self._keys = {pool: KeySet.import_key_set(dict(jwks)) for pool, jwks in jwks_by_pool.items()}  # type: ignore[arg-type]

    def key_set(self, user_pool: UserPoolConfig) -> KeySet:
        try:
            return self._keys[user_pool.user_pool_id]
        except KeyError:
            raise LookupError(f"no keys for user pool {user_pool.user_pool_id}") from None


class Authenticator:
    """Authenticates requests for one API.

    keys: the user pools' signing keys (needed if a mode is AMAZON_COGNITO_USER_POOLS).
    clock: seconds since the epoch, for token expiry.
    """

    def __init__(
        self,
        definition: ApiDefinition,
        directory: IdentityDirectory,
        *,
        keys: KeySource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        pool_provider = definition.auth_provider(AuthenticationType.AMAZON_COGNITO_USER_POOLS)
        self._user_pool = pool_provider.user_pool if pool_provider else None
        if self._user_pool is not None and keys is None:
            raise ValueError("the API accepts user pool tokens: give the user pool's keys")
        self._iam = definition.auth_provider(AuthenticationType.AWS_IAM) is not None
        self._definition = definition
        self._directory = directory
        self._keys = keys
        self._clock = clock

    def authenticate(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, source_ip: str
    ) -> Authenticated:
        """The caller of a request; RequestRefusedError if no configured mode authenticates it."""
        authorization = _header(headers, "authorization")
        if not authorization:
            raise unauthorized(NO_AUTHORIZATION)
        if authorization.startswith(SIGV4_PREFIX):
            if not self._iam:
                raise unauthorized(NOT_AUTHORIZED)
            return self._iam_caller(method, url, headers, body, source_ip)
        if self._user_pool is None:
            raise unauthorized(NOT_AUTHORIZED)
        return self._user_pool_caller(self._user_pool, authorization, source_ip)

    def iam_allows(self, caller: Caller, type_name: str, field_name: str, source_ip: str) -> bool:
        """Whether the IAM caller's policies allow ``appsync:GraphQL`` on this field."""
        resource = f"{self._definition.arn}/types/{type_name}/fields/{field_name}"
        now = datetime.now(UTC)
        decision = evaluate(
            AccessRequest(
                caller.principal,
                "appsync:GraphQL",
                resource,
                {
                    "aws:SourceIp": source_ip,
                    # AppSync endpoints are HTTPS only; policies that require TLS mean the same here.
                    "aws:SecureTransport": True,
                    "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "aws:EpochTime": int(now.timestamp()),
                    "aws:RequestedRegion": self._definition.region,
                },
            ),
            identity_policies=caller.identity_policies,
            resource_account=self._definition.account_id,
        )
        return decision.allowed

    def _iam_caller(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, source_ip: str
    ) -> Authenticated:
        try:
            caller = verify(
                method,
                url,
                headers,
                body,
                service="appsync",
                region=self._definition.region,
                directory=self._directory,
            )
        except SignatureError as error:
            raise RequestRefusedError(error.status, error.error_type, error.message) from error
        principal = caller.principal
        arn = principal.arn or ""
        return Authenticated(
            mode=AuthenticationType.AWS_IAM,
            identity={
                "accountId": principal.account_id,
                "cognitoIdentityAuthProvider": None,
                "cognitoIdentityAuthType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "sourceIp": [source_ip],
                "userArn": arn,
                # AppSync gives the principal's unique id here (AIDA..., or AROA...:session); the
                # directory knows the ARN only, whose last part names the user or the session.
                "username": arn.rsplit(":", 1)[-1].split("/", 1)[-1],
            },
            caller=caller,
        )

    def _user_pool_caller(self, pool: UserPoolConfig, token: str, source_ip: str) -> Authenticated:
        header = _unverified_header(token)
        if header.get("alg") != "RS256":
            raise unauthorized(NOT_AUTHORIZED)
        assert self._keys is not None
        try:
            verified = jwt.decode(token, self._keys.key_set(pool), algorithms=["RS256"])
        except (JoseError, ValueError, KeyError):
            raise unauthorized(NOT_AUTHORIZED) from None
        claims = dict(verified.claims)
        if claims.get("iss") != pool.issuer or claims.get("token_use") not in _TOKEN_USES:
            raise unauthorized(NOT_AUTHORIZED)
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires <= self._clock():
            raise unauthorized(EXPIRED_JWT)
        # An ID token names its client in "aud", an access token in "client_id".
        is_id_token = claims.get("token_use") == "id"
        client_id = claims.get("aud") if is_id_token else claims.get("client_id")
        if pool.app_id_client_regex is not None and not (
            isinstance(client_id, str) and re.fullmatch(pool.app_id_client_regex, client_id)
        ):
            raise unauthorized(NOT_AUTHORIZED)
        groups = claims.get("cognito:groups")
        username = claims.get("cognito:username") if is_id_token else claims.get("username")
        return Authenticated(
            mode=AuthenticationType.AMAZON_COGNITO_USER_POOLS,
            identity={
                "sub": claims.get("sub"),
                "issuer": claims["iss"],
                "username": username,
                "claims": claims,
                "sourceIp": [source_ip],
                "defaultAuthStrategy": pool.default_action,
                "groups": list(groups) if isinstance(groups, list) else None,
            },
            groups=frozenset(str(group) for group in groups) if isinstance(groups, list) else frozenset(),
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _unverified_header(token: str) -> dict[str, Any]:
    """A JWT's header, read before any check: a token that cannot be read gets AppSync's parse error."""
    segments = token.split(".")
    if len(segments) != 3:
        raise unauthorized(UNREADABLE_JWT)
    try:
        header, claims = (json.loads(_base64url(segment)) for segment in segments[:2])
    except (ValueError, binascii.Error):
        raise unauthorized(UNREADABLE_JWT) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise unauthorized(UNREADABLE_JWT)
    return header


def _base64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
