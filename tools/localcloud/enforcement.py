"""IAM on the local AWS endpoint: every request is authorised for what moto will actually execute.

Stock moto (5.2.5) checks a request's signature and then evaluates the caller's policies for the
action against the resource ``*`` for most services (so a policy scoped to one table denies even that
table), names some actions wrongly (``lambda:Invoke``), evaluates some policies incorrectly, exempts a
request from authorisation on the word of its ``X-Amz-Target`` header, and hands out credentials from
every STS operation without a trust decision. The local cloud replaces moto's authorisation step
(``ActionAuthenticatorMixin._authenticate_and_authorize_normal_action``) with :class:`Enforcement`:

1. the operation is the one moto's handler will run (``_get_action()``, from the routed service), and
   an operation the local cloud does not emulate faithfully is refused, naming it;
2. the signature is verified by :func:`localcloud.sigv4.verify` (the local API Gateway's verifier:
   signature over the body as received, +/-5 minutes of clock skew, session token, expiry), and the
   caller's principal and identity policies come from the local cloud's identity directory;
3. :func:`requested_access` names the IAM actions and resource ARNs the request needs (one request
   may need several: a DynamoDB transaction needs the action of each of its items on each table),
   read from the parameters wherever moto's handler may read them; a request naming a resource twice,
   differently, is refused rather than authorised for one and executed on the other; each with the
   service's condition keys (DynamoDB's fine-grained access control keys, see
   :mod:`localcloud.dynamodb_conditions`);
4. ``iam_eval`` decides each one, with the resource's own policy where the service has one (an SQS
   queue policy, an SNS topic policy, a Lambda function policy, a role's trust policy for
   ``sts:AssumeRole``).

The only operations admitted without a signature are Cognito's password and refresh-token sign-in
(``InitiateAuth``), as in AWS. What reaches moto at all is decided before, by :mod:`localcloud.front_door`.

Every decision is recorded (principal, action, resource, allowed, why): the walkthrough prints refusals
from it, and a permissions audit can compare what each role used with what it was granted.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import botocore.session
from botocore.model import ServiceModel
from joserfc.jwk import RSAKey
from moto.awslambda.models import lambda_backends
from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError, UserNotFoundError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, cognitoidp_backends
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from iam_eval import AccessRequest, ContextValue, Decision, PrincipalKind, evaluate
from localcloud import moto_seams
from localcloud.dynamodb_conditions import batch_context, item_context
from localcloud.faults import REQUEST_FAULTS, FaultPlan, request_error
from localcloud.identity import Caller, MotoIdentityDirectory
from localcloud.sigv4 import SignatureError, verify


class Access(NamedTuple):
    """One IAM action on one resource that a request needs, with the service's condition keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = {}


RECEIVED_BODY = "localcloud.received_body"
"""WSGI environ key: the request body exactly as received (kept by the front door for SigV4)."""

NOT_EMULATED = "OperationNotEmulated"
_SEE_DOCS = "see docs/localcloud.md, 'What it still does not enforce'"

_USER_POOL_KEY_BITS = 2048

# Query-protocol services answer errors in XML, under these codes (JSON services use the left names).
_XML_ERROR_CODES = {
    "AccessDeniedException": "AccessDenied",
    "IncompleteSignatureException": "IncompleteSignature",
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "ExpiredTokenException": "ExpiredToken",
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
}


@dataclass(frozen=True)
class AccessRecord:
    time: datetime
    principal_arn: str
    """``aws:PrincipalArn``: the role's ARN for a role session."""
    caller_arn: str
    """The caller itself: for a role session, ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``."""
    action: str
    resource: str
    allowed: bool
    reasons: tuple[str, ...]


class RequestRefusedError(Exception):
    """A request the endpoint refuses before any policy is evaluated: AWS's status, type and message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def not_emulated(action: str, why: str) -> RequestRefusedError:
    return RequestRefusedError(
        400, NOT_EMULATED, f"{action} is not emulated by the local cloud: {why} ({_SEE_DOCS})."
    )


class _JsonRefusalError(JsonRESTError):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(error_type, message)
        self.code = status


class _XmlRefusalError(_RESTError):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(_XML_ERROR_CODES.get(error_type, error_type), message)
        self.code = status


# Cognito's unauthenticated operations the local cloud admits, with the sign-in flows it emulates.
# Others (SignUp, ConfirmSignUp, ForgotPassword...) need an IAM signature here: moto does not check
# their confirmation codes. SRP is not emulated: moto answers its challenge without a password proof.
_UNAUTHENTICATED_OPERATIONS: Mapping[tuple[str, str], frozenset[str]] = {
    ("cognito-idp", "InitiateAuth"): frozenset({"USER_PASSWORD_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}),
}


class Enforcement:
    def __init__(self, directory: MotoIdentityDirectory, *, account_id: str, region: str) -> None:
        self._directory = directory
        self._account_id = account_id
        self._region = region
        self.enabled = False
        self.records: list[AccessRecord] = []
        self._records_lock = threading.Lock()
        self._replaced: list[moto_seams.Replaced] = []
        self.listeners: list[Callable[[AccessRecord], None]] = []
        self.faults = FaultPlan()
        """Faults injected into authorised requests (the local cloud shares its plan here)."""

    # -------------------------------------------------------------- installation
    # Every place the local cloud replaces part of moto's request handling (each a seam in
    # localcloud.moto_seams). The front door (localcloud.front_door) decides what reaches moto at all.

    def install(self) -> None:
        enforcement = self

        def authorize(response: Any, resource: str = "*") -> None:
            enforcement.authorize(response)

        self._replaced.append(moto_seams.REQUEST_AUTHORIZATION.replace(authorize))

        # Each pool gets a signing key of its own, generated here and never published.
        def create_pool_with_own_key(pool: CognitoIdpUserPool, *args: Any, **kwargs: Any) -> None:
            pool_created.original(pool, *args, **kwargs)
            pool.json_web_key = RSAKey.generate_key(
                _USER_POOL_KEY_BITS,
                {"kid": moto_seams.USER_POOL_TOKEN_KID, "alg": "RS256", "use": "sig"},
                private=True,
            )

        pool_created = moto_seams.USER_POOL_SIGNING_KEY.replace(create_pool_with_own_key)
        self._replaced.append(pool_created)

        # moto signs in through any flow whatever the app client allows, and says
        # UserNotFoundException even when the client prevents user existence errors.
        self._replaced.append(
            moto_seams.INITIATE_AUTH.replace(_initiate_auth_as_cognito(CognitoIdpBackend.initiate_auth))
        )

    def uninstall(self) -> None:
        for replaced in reversed(self._replaced):
            replaced.restore()
        self._replaced.clear()

    def user_pool_jwks(self, user_pool_id: str) -> dict[str, Any] | None:
        """The public half of a user pool's signing key, as Cognito publishes it; None if no such pool."""
        pool = cognitoidp_backends[self._account_id][self._region].user_pools.get(user_pool_id)
        if pool is None:
            return None
        return {"keys": [pool.json_web_key.as_dict(private=False)]}

    # -------------------------------------------------------------- one request

    def authorize(self, response: Any) -> None:
        if not self.enabled:
            return
        try:
            self._authorize(response)
        except RequestRefusedError as refusal:
            raise _refusal(response, refusal.status, refusal.error_type, refusal.message) from None

    def _authorize(self, response: Any) -> None:
        service = SERVED_SERVICES.get(response.service_name)
        if service is None:  # the front door admits none of these; refuse rather than trust that
            raise not_emulated(str(response.service_name), "the local AWS endpoint does not serve it")
        # The operation moto's handler will run: the routed service, _get_action() as call_action reads it.
        operation: str = moto_seams.operation_of(response)
        parameters = _Parameters(response)
        service.refuse_if_not_emulated(operation)
        public_flows = _UNAUTHENTICATED_OPERATIONS.get((response.service_name, operation))
        if public_flows is not None:
            flow = parameters.get("AuthFlow")
            if flow not in public_flows:
                raise not_emulated(
                    f"{service.signing_name}:{operation} with AuthFlow {flow}",
                    "only " + ", ".join(sorted(public_flows)) + " are emulated",
                )
            return  # unauthenticated by design: the credentials are the user's password or refresh token
        caller = self._caller(response, service)
        if response.service_name == "sts":
            if operation == "GetCallerIdentity":
                return  # always allowed, even with every other permission denied
            _refuse_long_chained_session(operation, parameters, caller)
        accesses = service.access(operation, parameters, self._account_id, self._region)
        for action, resource, context in accesses:
            decision = self._decide(caller, action, resource, context)
            self._record(caller, action, resource, decision)
            if not decision.allowed:
                explicit = " with an explicit deny" if decision.outcome.name == "EXPLICIT_DENY" else ""
                message = (
                    f"User: {caller.principal.arn} is not authorized to perform: {action} "
                    f"on resource: {resource}{explicit}"
                )
                raise RequestRefusedError(403, "AccessDeniedException", message)
        fault = self.faults.draw(
            service.iam_prefix, operation, [access.resource for access in accesses], REQUEST_FAULTS
        )
        if fault is not None:
            injected = request_error(fault, service.iam_prefix)
            raise RequestRefusedError(injected.status, injected.error_type, injected.message)

    def _caller(self, response: Any, service: ServedService) -> Caller:
        """The signer of the request, verified as AWS verifies SigV4 (the API Gateway's verifier)."""
        body = response.normalized_request.environ.get(RECEIVED_BODY)
        if not isinstance(body, bytes):
            raise RequestRefusedError(
                400, "IncompleteSignatureException", "the request did not come through the local AWS endpoint"
            )
        try:
            return verify(
                response.method,
                response.uri,
                response.headers,
                body,
                service=service.signing_name,
                region=self._region,
                directory=self._directory,
            )
        except SignatureError as error:
            raise RequestRefusedError(error.status, error.error_type, error.message) from None

    def _decide(
        self, caller: Caller, action: str, resource: str, service_context: Mapping[str, ContextValue]
    ) -> Decision:
        context: dict[str, Any] = {
            **service_context,
            "aws:CurrentTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:SecureTransport": False,
            "aws:RequestedRegion": self._region,
        }
        request = AccessRequest(caller.principal, action, resource, context)
        resource_policy = self._resource_policy(action, resource)
        if action.lower() == "sts:assumerole":
            return assume_role_decision(
                request, list(caller.identity_policies), resource_policy, self._account_id
            )
        return evaluate(
            request,
            identity_policies=list(caller.identity_policies),
            resource_policy=resource_policy,
            resource_account=self._account_id,
        )

    def _resource_policy(self, action: str, resource: str) -> Mapping[str, Any] | None:
        service = action.split(":", 1)[0].lower()
        try:
            if service == "sqs":
                queue = sqs_backends[self._account_id][self._region].get_queue(resource.rsplit(":", 1)[-1])
                policy = queue.policy
                return json.loads(policy) if isinstance(policy, str) and policy else None
            if service == "lambda" and ":function:" in resource:
                return function_policy(lambda_backends[self._account_id][self._region].get_function(resource))
            if service == "sns" and ":sns:" in resource:
                topic = sns_backends[self._account_id][self._region].get_topic(resource)
                topic_policy: Mapping[str, Any] = json.loads(topic.policy)
                return topic_policy
            if service == "sts" and ":role/" in resource:
                role = iam_backends[self._account_id]["aws"].get_role_by_arn(resource)
                trust: Mapping[str, Any] = json.loads(role.assume_role_policy_document)
                return trust
        except Exception:  # the resource does not exist: the service reports that itself
            return None
        return None

    def _record(self, caller: Caller, action: str, resource: str, decision: Decision) -> None:
        record = AccessRecord(
            time=datetime.now(UTC),
            principal_arn=caller.principal.principal_arn or caller.principal.kind.value,
            caller_arn=caller.principal.arn or caller.principal.kind.value,
            action=action,
            resource=resource,
            allowed=decision.allowed,
            reasons=decision.reasons,
        )
        with self._records_lock:
            self.records.append(record)
        for listener in self.listeners:
            listener(record)


def function_policy(function: Any) -> Mapping[str, Any] | None:
    """A Lambda function's resource-based policy (who may invoke it), if it has statements."""
    policy = function.policy.get_policy()["Policy"] if function.policy else None
    document: Mapping[str, Any] | None = json.loads(policy) if isinstance(policy, str) else policy
    return document if document and document.get("Statement") else None


def assume_role_decision(
    request: AccessRequest,
    identity_policies: list[Mapping[str, Any]],
    trust_policy: Mapping[str, Any] | None,
    account_id: str,
) -> Decision:
    """Role trust policies are an exception to the same-account rule that either policy may allow:
    the trust policy must always admit the caller. Naming the caller (or its role) is enough; naming
    only the caller's account delegates to the caller's identity policies, which must then allow too.
    """
    if trust_policy is None:
        return evaluate(request, identity_policies=[], resource_account=account_id)
    named = evaluate(request, identity_policies=[], resource_policy=trust_policy, resource_account=account_id)
    if named.allowed or named.outcome.name == "EXPLICIT_DENY":
        # An identity-based Deny still wins over a trust policy that names the caller.
        with_identity = evaluate(
            request,
            identity_policies=identity_policies,
            resource_policy=trust_policy,
            resource_account=account_id,
        )
        return with_identity if with_identity.outcome.name == "EXPLICIT_DENY" else named
    # Evaluated as if across accounts, both sides must allow: the account's delegation and the caller's grant.
    return evaluate(
        request,
        identity_policies=identity_policies,
        resource_policy=trust_policy,
        resource_account="000000000000",
    )


def _comparable(value: Any) -> str:
    """Parsed parameters are typed (3600, True), the form's are text ("3600", "true")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _refusal(response: Any, status: int, error_type: str, message: str) -> Exception:
    service = SERVED_SERVICES.get(response.service_name, _UNKNOWN)
    if service.query_compatible_json and "json" in str(response.headers.get("Content-Type", "")):
        # A JSON request to a query-protocol service is answered in JSON, under the query error code.
        return _JsonRefusalError(status, _XML_ERROR_CODES.get(error_type, error_type), message)
    if service.xml_errors:
        return _XmlRefusalError(status, error_type, message)
    return _JsonRefusalError(status, error_type, message)


# ------------------------------------------------------------------ Cognito sign-in, as Cognito answers it

_AUTH_FLOW_SETTINGS = {
    "USER_PASSWORD_AUTH": ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
    "USER_SRP_AUTH": ("ALLOW_USER_SRP_AUTH",),
    "REFRESH_TOKEN_AUTH": ("ALLOW_REFRESH_TOKEN_AUTH",),
    "REFRESH_TOKEN": ("ALLOW_REFRESH_TOKEN_AUTH",),
    "CUSTOM_AUTH": ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
}
# What Cognito allows an app client that names no ExplicitAuthFlows.
_DEFAULT_AUTH_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")


def _initiate_auth_as_cognito(initiate_auth: Callable[..., Any]) -> Callable[..., Any]:
    def initiate_auth_as_cognito(
        backend: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> Any:
        client = next(
            (pool.clients[client_id] for pool in backend.user_pools.values() if client_id in pool.clients),
            None,
        )
        if client is None:
            return initiate_auth(backend, client_id, auth_flow, auth_parameters)  # moto's "not found"
        allowed = client.extended_config.get("ExplicitAuthFlows") or _DEFAULT_AUTH_FLOWS
        if not set(_AUTH_FLOW_SETTINGS.get(auth_flow, ())) & set(allowed):
            raise InvalidParameterException(f"{auth_flow} flow not enabled for this client")
        try:
            return initiate_auth(backend, client_id, auth_flow, auth_parameters)
        except UserNotFoundError:
            if client.extended_config.get("PreventUserExistenceErrors") == "ENABLED":
                # The same answer as for a wrong password: an unknown user is not revealed.
                raise NotAuthorizedError("Incorrect username or password.") from None
            raise

    return initiate_auth_as_cognito


# ------------------------------------------------------------------ what a request needs


class _Parameters:
    """A request's parameters, looked up everywhere moto's handlers may read them.

    moto's handlers read a parameter from the parsed request (``params``), the form or the query
    string (``querystring``, which is the headers when there is neither), the JSON body or the path,
    depending on the service and even the operation. A parameter found in more than one of those places
    with different values is refused: the resource authorised must be the resource the handler uses.
    """

    def __init__(self, response: Any) -> None:
        self._response = response
        single: list[Mapping[str, Any]] = []
        multiple: list[Mapping[str, Any]] = []
        params = getattr(response, "params", None)
        if isinstance(params, Mapping):
            single.append(params)
        body = response.body
        self._json: Mapping[str, Any] = {}
        if isinstance(body, Mapping):  # DynamoDB's handler has replaced its body by the parsed parameters
            self._json = body
        elif isinstance(body, str | bytes) and body.lstrip()[:1] in ("{", b"{"):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, Mapping):
                self._json = parsed
        if self._json:
            single.append(self._json)
        if isinstance(response.uri_match, Mapping):
            single.append(response.uri_match)
        multiple.append(response.querystring)
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(urlsplit(response.uri).query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        multiple.append(query)
        self._single = single
        self._multiple = multiple

    def get(self, name: str) -> Any:
        """The parameter's value, None if the request does not give it."""
        values: list[Any] = [source[name] for source in self._single if name in source]
        for source in self._multiple:
            found = source.get(name)
            values.extend(found if isinstance(found, list) else [found] if found is not None else [])
        distinct = {_comparable(value): value for value in values}
        if len(distinct) > 1:
            raise RequestRefusedError(
                400,
                "AmbiguousRequest",
                f"The request gives {name} more than once, with different values; the local cloud "
                "refuses it rather than authorise one and let the service use the other.",
            )
        return next(iter(distinct.values()), None)

    def json_body(self) -> Mapping[str, Any]:
        """The request's JSON document (DynamoDB's parameters), as its handler reads it."""
        return self._json

    def names(self) -> set[str]:
        """Every parameter name the request gives, wherever."""
        return {str(name) for source in (*self._single, *self._multiple) for name in source}

    def structured(self, name: str) -> Any:
        """A list or map parameter (DynamoDB's TransactItems...), as the handler reads it."""
        return next((source[name] for source in self._single if name in source), None)

    @property
    def raw_path(self) -> str:
        """The path as received, still percent-encoded."""
        return urlsplit(str(self._response.uri)).path


@dataclass(frozen=True)
class ServedService:
    """A service the local AWS endpoint serves: its moto backend, how requests are signed for it, and
    what each of its operations needs."""

    backend: str
    """moto's name for the backend its dispatcher routes requests to."""
    signing_name: str
    """The service in a request's SigV4 credential scope, and the prefix of its IAM actions."""
    resolve: Callable[[str, _Parameters, str, str], list[Access] | None]
    """The accesses an operation needs; None if it names no resource."""
    account_level: frozenset[str] = frozenset()
    """Operations on no particular resource: AWS authorises them on ``*``."""
    not_emulated: Mapping[str, str] | None = None
    """Operations refused as not emulated, and why."""
    xml_errors: bool = False
    query_compatible_json: bool = False
    """Speaks JSON as well as the query protocol (AWS's ``awsQueryCompatible``: CloudWatch)."""
    action_prefix: str = ""
    """The prefix of its IAM actions where it is not the signing name (CloudWatch signs as
    ``monitoring``; its actions are ``cloudwatch:...``)."""

    @property
    def iam_prefix(self) -> str:
        return self.action_prefix or self.signing_name

    def refuse_if_not_emulated(self, operation: str) -> None:
        why = (self.not_emulated or {}).get(operation)
        if why is not None:
            raise not_emulated(f"{self.iam_prefix}:{operation}", why)

    def access(self, operation: str, parameters: _Parameters, account: str, region: str) -> list[Access]:
        needed = self.resolve(operation, parameters, account, region)
        if needed:
            return needed
        if operation in self.account_level:
            return [Access(f"{self.iam_prefix}:{operation}", "*")]
        raise not_emulated(
            f"{self.iam_prefix}:{operation}", "the local cloud cannot tell which resource it acts on"
        )


def requested_access(response: Any, account_id: str, region: str) -> list[Access]:
    """The IAM actions and resources a request needs, as AWS authorises it."""
    service = SERVED_SERVICES.get(response.service_name)
    operation = moto_seams.operation_of(response)
    if service is None:
        raise not_emulated(f"{response.service_name}:{operation}", "the local AWS endpoint does not serve it")
    return service.access(operation, _Parameters(response), account_id, region)


def _same_place(arn: str, account: str, region: str, service: str) -> str:
    """An ARN naming a resource of another account or region: moto would act on the local one of the
    same name, so the request is refused rather than authorised for the other."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != service or parts[3] not in (region, "") or parts[4] != account:
        raise not_emulated(
            f"{service} resource {arn}", f"only resources of account {account} in {region} exist here"
        )
    return arn


_DYNAMODB_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    def table(name: str, index: str | None = None) -> str:
        if name.startswith("arn:"):  # DynamoDB accepts a table's ARN wherever it takes its name
            arn = _same_place(name, account, region, "dynamodb")
        else:
            arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    def partition_key(table_name: str, index_name: str | None) -> str | None:
        return _partition_key(account, region, table_name, index_name)

    if operation in ("TransactWriteItems", "TransactGetItems"):
        needed = []
        for item in parameters.structured("TransactItems") or []:
            ((kind, body),) = item.items()
            action = _DYNAMODB_TRANSACTION_ACTIONS[kind]
            context = item_context(action, body, body["TableName"], partition_key, in_transaction=True)
            needed.append(Access(f"dynamodb:{action}", table(body["TableName"]), context))
        return needed
    if operation in ("BatchWriteItem", "BatchGetItem"):
        requested: Mapping[str, Any] = parameters.structured("RequestItems") or {}
        return [
            Access(
                f"dynamodb:{operation}", table(name), batch_context(operation, requests, name, partition_key)
            )
            for name, requests in requested.items()
        ]
    name = parameters.get("TableName")
    if not name:
        return None
    resource = table(name, parameters.get("IndexName"))
    if operation in _DYNAMODB_ITEM_OPERATIONS:
        return [
            Access(
                f"dynamodb:{operation}",
                resource,
                item_context(operation, parameters.json_body(), name, partition_key),
            )
        ]
    return [Access(f"dynamodb:{operation}", resource)]


_DYNAMODB_ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"})


def _partition_key(account: str, region: str, table_name: str, index_name: str | None) -> str | None:
    """The partition key attribute of a table or of one of its indexes, as moto holds the table."""
    try:
        table = dynamodb_backends[account][region].get_table(table_name)
    except Exception:  # no such table: the service reports that itself
        return None
    if index_name is None:
        return str(table.hash_key_attr)
    for index in [*table.global_indexes, *table.indexes]:
        if index.name == index_name:
            return next((str(key["AttributeName"]) for key in index.schema if key["KeyType"] == "HASH"), None)
    return None


def _sqs(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    # The batch operations are authorised as their single-message actions.
    action = "sqs:" + operation.removesuffix("Batch")
    url = parameters.get("QueueUrl")
    names = set()
    if url:
        names.add(str(url).rstrip("/").rsplit("/", 1)[-1])
    path = parameters.raw_path.strip("/")
    if path:  # moto's handler falls back to the queue the path names (/ACCOUNT/QUEUE)
        names.add(unquote(path.rsplit("/", 1)[-1]))
    if operation == "CreateQueue" and parameters.get("QueueName"):
        names.add(str(parameters.get("QueueName")))
    if len(names) > 1:
        raise RequestRefusedError(
            400, "AmbiguousRequest", f"The request names more than one queue: {', '.join(sorted(names))}."
        )
    return [Access(action, f"arn:aws:sqs:{region}:{account}:{name}") for name in names] or None


def _sns(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    action = "sns:Publish" if operation == "PublishBatch" else f"sns:{operation}"
    if operation == "Publish" and parameters.get("PhoneNumber"):
        raise not_emulated("sns:Publish to a phone number", "SMS is not sent locally")
    if operation == "CreateTopic" and parameters.get("Name"):
        return [Access(action, f"arn:aws:sns:{region}:{account}:{parameters.get('Name')}")]
    # moto publishes to TargetArn when a request gives both it and TopicArn: each one named must be allowed.
    topics = [parameters.get(name) for name in ("TopicArn", "TargetArn", "ResourceArn")]
    subscription = parameters.get("SubscriptionArn")
    if subscription:
        topics.append(str(subscription).rsplit(":", 1)[0])  # a subscription is authorised as its topic
    # SNS's condition keys for Subscribe: where the notices would go, and how.
    context = {
        f"sns:{name}": str(parameters.get(name)) for name in ("Endpoint", "Protocol") if parameters.get(name)
    }
    return [
        Access(action, _same_place(str(topic), account, region, "sns"), context) for topic in topics if topic
    ] or None


# Lambda's REST paths name the function; moto's handlers take it from different segments of the path
# depending on the operation, so a path must have exactly the form of its operation.
@cache
@cache
def _service_model(service: str) -> ServiceModel:
    """botocore's model of a service, loaded once per process (it is read only)."""
    return botocore.session.get_session().get_service_model(service)


@lru_cache(maxsize=256)  # bounded: the operation's name comes from a request
def _rest_path_pattern(service: str, operation: str) -> re.Pattern[str] | None:
    """The path an operation's requests have (from its model's request URI), as a pattern whose
    groups are the URI's labels; None for an operation botocore does not know."""
    try:
        uri = _service_model(service).operation_model(operation).http["requestUri"]
    except Exception:  # an operation botocore does not know: no path can be checked against it
        return None
    path = str(uri).split("?", 1)[0]
    pattern = ""
    for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", path):
        pattern += re.escape(literal)
        if name:
            greedy = name.endswith("+")
            pattern += f"(?P<{name.rstrip('+')}>{'.+' if greedy else '[^/]+'})"
    return re.compile(pattern)


def _lambda(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    action = {"Invoke": "lambda:InvokeFunction", "InvokeAsync": "lambda:InvokeAsync"}.get(
        operation, f"lambda:{operation}"
    )
    pattern = _rest_path_pattern("lambda", operation)
    match = pattern.fullmatch(parameters.raw_path) if pattern else None
    if match is None:
        raise not_emulated(
            f"lambda:{operation} at {parameters.raw_path}", "the path does not have the operation's form"
        )
    path = {name: unquote(value) for name, value in match.groupdict().items()}
    if "UUID" in path:
        return [Access(action, f"arn:aws:lambda:{region}:{account}:event-source-mapping:{path['UUID']}")]
    name = path.get("FunctionName") or (operation == "CreateFunction" and parameters.get("FunctionName"))
    if not name:
        return None
    if name.startswith("arn:"):
        function = _same_place(name, account, region, "lambda")
    elif name.count(":") >= 2:  # ACCOUNT:function:NAME[:QUALIFIER]
        function = _same_place(f"arn:aws:lambda:{region}:{name}", account, region, "lambda")
    else:  # NAME[:QUALIFIER]
        function = f"arn:aws:lambda:{region}:{account}:function:{name}"
    qualifier = parameters.get("Qualifier") or parameters.get("qualifier")
    if qualifier and function.count(":") == 6:  # a version or alias is its own resource
        function = f"{function}:{qualifier}"
    needed = [Access(action, function)]
    role = parameters.get("Role") if operation in ("CreateFunction", "UpdateFunctionConfiguration") else None
    if role:  # giving a function a role is passing the role to Lambda
        needed.append(Access("iam:PassRole", str(role)))
    return needed


def _states(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    if operation == "CreateStateMachine" and parameters.get("name"):
        resource = f"arn:aws:states:{region}:{account}:stateMachine:{parameters.get('name')}"
    else:
        resource = parameters.get("stateMachineArn") or parameters.get("executionArn")
    if not resource:
        return None
    needed = [Access(f"states:{operation}", _same_place(str(resource), account, region, "states"))]
    role = parameters.get("roleArn") if operation in ("CreateStateMachine", "UpdateStateMachine") else None
    if role:  # giving a state machine a role is passing the role to Step Functions
        needed.append(Access("iam:PassRole", str(role)))
    return needed


# What would shape or condition a session beyond its role's policies: session policies and tags (the
# identity directory evaluates a session with its role's policies only), and the external id, MFA and
# source identity a trust policy may test. Ignoring them could admit what AWS refuses: refused instead.
_ASSUME_ROLE_NOT_EMULATED = (
    "Policy",
    "PolicyArns",
    "Tags",
    "TransitiveTagKeys",
    "ExternalId",
    "SerialNumber",
    "TokenCode",
    "SourceIdentity",
    "ProvidedContexts",
)
_MIN_SESSION_SECONDS = 900
_MAX_CHAINED_SESSION_SECONDS = 3600


def _sts(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    role_arn = parameters.get("RoleArn")
    if operation != "AssumeRole" or not role_arn:
        return None
    given = parameters.names()
    for refused in _ASSUME_ROLE_NOT_EMULATED:
        if any(name == refused or name.startswith(f"{refused}.") for name in given):
            raise not_emulated(
                f"sts:AssumeRole with {refused}",
                "session policies, session tags, external ids, MFA and source identities",
            )
    duration = parameters.get("DurationSeconds")
    if duration is not None:
        _check_session_duration(str(role_arn), str(duration), account)
    return [Access("sts:AssumeRole", str(role_arn))]


def _check_session_duration(role_arn: str, duration: str, account: str) -> None:
    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:
        return  # no such role: the trust decision refuses it
    maximum = int(role.max_session_duration or 3600)
    if not duration.isdigit() or not _MIN_SESSION_SECONDS <= int(duration) <= maximum:
        raise RequestRefusedError(
            400,
            "ValidationError",
            f"The requested DurationSeconds exceeds the MaxSessionDuration set for this role "
            f"({_MIN_SESSION_SECONDS} to {maximum} seconds).",
        )


def _refuse_long_chained_session(operation: str, parameters: _Parameters, caller: Caller) -> None:
    """A role session assuming a role (role chaining) gets at most an hour, whatever the role allows."""
    duration = str(parameters.get("DurationSeconds") or "") if operation == "AssumeRole" else ""
    chained = caller.principal.kind is PrincipalKind.ROLE_SESSION
    if chained and duration.isdigit() and int(duration) > _MAX_CHAINED_SESSION_SECONDS:
        raise RequestRefusedError(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
            "role chaining.",
        )


def _logs(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    group = parameters.get("logGroupName")
    if not group:
        return None
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    stream = parameters.get("logStreamName")
    return [Access(f"logs:{operation}", f"{arn}:log-stream:{stream}" if stream else f"{arn}:*")]


def _cognito(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    pool = parameters.get("UserPoolId") or _user_pool_of_client(parameters.get("ClientId"), account, region)
    if not pool:
        return None
    return [Access(f"cognito-idp:{operation}", f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool}")]


def _user_pool_of_client(client_id: str | None, account: str, region: str) -> str | None:
    """The user pool an app client belongs to: operations named by a client id (``SignUp``,
    ``ConfirmSignUp``...) act on that pool."""
    if not client_id:
        return None
    for pool_id, pool in cognitoidp_backends[account][region].user_pools.items():
        if client_id in pool.clients:
            return str(pool_id)
    return None


def _iam(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    backend = iam_backends[account]["aws"]

    def existing(kind: str, name: str, lookup: Callable[[str], Any]) -> str:
        try:
            return str(lookup(name).arn)
        except Exception:  # not created yet, or already gone: the ARN it would have
            path = str(parameters.get("Path") or "/")
            return f"arn:aws:iam::{account}:{kind}{path}{name}"

    for parameter, kind, lookup in (
        ("RoleName", "role", backend.get_role),
        ("GroupName", "group", backend.get_group),  # before UserName: AddUserToGroup acts on the group
        ("UserName", "user", backend.get_user),
    ):
        name = parameters.get(parameter)
        if name:
            return [Access(f"iam:{operation}", existing(kind, str(name), lookup))]
    if operation == "CreatePolicy" and parameters.get("PolicyName"):
        path = str(parameters.get("Path") or "/")
        return [
            Access(f"iam:{operation}", f"arn:aws:iam::{account}:policy{path}{parameters.get('PolicyName')}")
        ]
    policy = parameters.get("PolicyArn")
    return [Access(f"iam:{operation}", str(policy))] if policy else None


# CloudWatch: alarms are resources (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME), and so are dashboards
# (global: no region in their ARN) and Contributor Insights rules; metrics are not.
# Operation -> the parameter naming its resources, whether it is a list, and the kind of resource.
_CLOUDWATCH_NAMED: Mapping[str, tuple[str, bool, str]] = {
    "PutMetricAlarm": ("AlarmName", False, "alarm"),
    "PutCompositeAlarm": ("AlarmName", False, "alarm"),
    "SetAlarmState": ("AlarmName", False, "alarm"),
    "DescribeAlarmHistory": ("AlarmName", False, "alarm"),
    "DescribeAlarms": ("AlarmNames", True, "alarm"),
    "DeleteAlarms": ("AlarmNames", True, "alarm"),
    "DisableAlarmActions": ("AlarmNames", True, "alarm"),
    "EnableAlarmActions": ("AlarmNames", True, "alarm"),
    "PutDashboard": ("DashboardName", False, "dashboard"),
    "GetDashboard": ("DashboardName", False, "dashboard"),
    "DeleteDashboards": ("DashboardNames", True, "dashboard"),
    "PutInsightRule": ("RuleName", False, "insight-rule"),
    "DeleteInsightRules": ("RuleNames", True, "insight-rule"),
    "DisableInsightRules": ("RuleNames", True, "insight-rule"),
    "EnableInsightRules": ("RuleNames", True, "insight-rule"),
}
# Reads of every alarm when they name none (or only a prefix): authorised on all of them, as AWS does.
_CLOUDWATCH_READS_EVERY_ALARM = frozenset({"DescribeAlarms", "DescribeAlarmHistory"})
_CLOUDWATCH_TAGGING = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})


def _cloudwatch(operation: str, parameters: _Parameters, account: str, region: str) -> list[Access] | None:
    action = f"cloudwatch:{operation}"
    named = _CLOUDWATCH_NAMED.get(operation)
    if named is not None:
        parameter, many, kind = named
        prefix = {
            "alarm": f"arn:aws:cloudwatch:{region}:{account}:alarm:",
            "dashboard": f"arn:aws:cloudwatch::{account}:dashboard/",
            "insight-rule": f"arn:aws:cloudwatch:{region}:{account}:insight-rule/",
        }[kind]
        given = parameters.get(parameter)
        names = (given or []) if many else ([given] if given else [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise RequestRefusedError(400, "ValidationError", f"{parameter} must name resources.")
        if operation in _CLOUDWATCH_READS_EVERY_ALARM and (not names or parameters.get("AlarmNamePrefix")):
            names = ["*"]
        return [Access(action, prefix + name) for name in names] or None
    if operation in _CLOUDWATCH_TAGGING:
        arn = parameters.get("ResourceARN")
        return [Access(action, _same_place(str(arn), account, region, "cloudwatch"))] if arn else None
    if operation == "PutMetricData":
        # No resource-level permission; the namespace is the condition key AWS offers.
        namespace = parameters.get("Namespace")
        return [Access(action, "*", {"cloudwatch:namespace": str(namespace)} if namespace else {})]
    return None


_STS_NOT_EMULATED = dict.fromkeys(
    (
        "AssumeRoleWithWebIdentity",
        "AssumeRoleWithSAML",
        "AssumeRoot",
        "GetFederationToken",
        "GetSessionToken",
        "GetAccessKeyInfo",
        "DecodeAuthorizationMessage",
    ),
    "the local cloud issues temporary credentials only through sts:AssumeRole, with the role's trust "
    "policy evaluated",
)
_DYNAMODB_NOT_EMULATED = dict.fromkeys(
    ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"),
    "PartiQL statements are authorised per table and statement kind (dynamodb:PartiQLUpdate...)",
)

_UNKNOWN = ServedService(backend="", signing_name="", resolve=lambda *_: None)

SERVED_SERVICES: Mapping[str, ServedService] = {
    "dynamodb": ServedService(
        "dynamodb",
        "dynamodb",
        _dynamodb,
        frozenset({"ListTables", "DescribeLimits", "DescribeEndpoints"}),
        _DYNAMODB_NOT_EMULATED,
    ),
    "sqs": ServedService("sqs", "sqs", _sqs, frozenset({"ListQueues"})),
    "sns": ServedService("sns", "sns", _sns, frozenset({"ListTopics", "ListSubscriptions"}), xml_errors=True),
    "awslambda": ServedService(
        "awslambda",
        "lambda",
        _lambda,
        frozenset(
            {"ListFunctions", "ListEventSourceMappings", "CreateEventSourceMapping", "GetAccountSettings"}
        ),
    ),
    "stepfunctions": ServedService("stepfunctions", "states", _states, frozenset({"ListStateMachines"})),
    "sts": ServedService("sts", "sts", _sts, not_emulated=_STS_NOT_EMULATED, xml_errors=True),
    "logs": ServedService("logs", "logs", _logs, frozenset({"DescribeLogGroups"})),
    # Signed as "monitoring"; its IAM actions are "cloudwatch:...". SDKs speak JSON to it, older clients
    # the query protocol: refusals follow the request (_refusal).
    "cloudwatch": ServedService(
        "cloudwatch",
        "monitoring",
        _cloudwatch,
        frozenset(
            {
                "ListMetrics",
                "GetMetricData",
                "GetMetricStatistics",
                "DescribeAlarmsForMetric",
                "ListDashboards",
                "DescribeInsightRules",
            }
        ),
        xml_errors=True,
        query_compatible_json=True,
        action_prefix="cloudwatch",
    ),
    "cognito-idp": ServedService(
        "cognitoidp", "cognito-idp", _cognito, frozenset({"CreateUserPool", "ListUserPools"})
    ),
    "iam": ServedService(
        "iam",
        "iam",
        _iam,
        frozenset({"ListRoles", "ListUsers", "ListGroups", "ListPolicies", "GetAccountSummary"}),
        xml_errors=True,
    ),
}
"""Keyed by moto's ``service_name`` of the response class handling the request."""


def served_backends() -> frozenset[str]:
    """moto's backends the front door lets requests reach."""
    return frozenset(service.backend for service in SERVED_SERVICES.values())
