"""IAM on the local AWS endpoint: every request is authorised for its real action and resource.

Stock moto (5.2.5) checks a request's signature and then evaluates the caller's policies for the
action against the resource ``*`` for most services (so a policy scoped to one table denies even that
table), names some actions wrongly (``lambda:Invoke``) and evaluates some policies incorrectly. The
local cloud replaces moto's authorisation step
(``ActionAuthenticatorMixin._authenticate_and_authorize_normal_action``) with :class:`Enforcement`:

1. moto still verifies the signature and finds the access key (its ``IAMRequest``);
2. the caller's principal and identity policies come from the local cloud's identity directory;
3. :func:`requested_access` names the IAM actions and resource ARNs the request needs (one request
   may need several: a DynamoDB transaction needs the action of each of its items on each table),
   with the service's condition keys (DynamoDB's fine-grained access control keys, see
   :mod:`localcloud.dynamodb_conditions`);
4. ``iam_eval`` decides each one, with the resource's own policy where the service has one (an SQS
   queue policy, an SNS topic policy, a Lambda function policy, a role's trust policy for
   ``sts:AssumeRole``).

Every decision is recorded (principal, action, resource, allowed, why): the walkthrough prints refusals
from it, and a permissions audit can compare what each role used with what it was granted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlparse

from moto.awslambda.models import lambda_backends
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.dynamodb.models import dynamodb_backends
from moto.iam.access_control import IAMRequest
from moto.iam.models import iam_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from iam_eval import AccessRequest, ContextValue, Decision, evaluate
from localcloud.dynamodb_conditions import batch_context, item_context
from localcloud.identity import Caller, MotoIdentityDirectory


class Access(NamedTuple):
    """One IAM action on one resource that a request needs, with the service's condition keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = {}


# Services whose errors moto renders as XML (query protocol): botocore reads the code from the body.
_XML_SERVICES = frozenset({"sns", "sts", "iam", "cloudformation", "ses", "autoscaling", "ec2", "elb"})


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


class AccessDeniedJsonError(JsonRESTError):
    code = 403


class AccessDeniedXmlError(_RESTError):
    code = 403

    def __init__(self, message: str) -> None:
        super().__init__("AccessDenied", message)


class Enforcement:
    def __init__(self, directory: MotoIdentityDirectory, *, account_id: str, region: str) -> None:
        self._directory = directory
        self._account_id = account_id
        self._region = region
        self.enabled = False
        self.records: list[AccessRecord] = []
        self._records_lock = threading.Lock()
        self._original: Any = None
        self.listeners: list[Callable[[AccessRecord], None]] = []

    # -------------------------------------------------------------- installation

    def install(self) -> None:
        enforcement = self
        self._original = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

        def authorize(response: Any, resource: str = "*") -> None:
            enforcement.authorize(response)

        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = self._original  # type: ignore[method-assign]
            self._original = None

    # -------------------------------------------------------------- one request

    def authorize(self, response: Any) -> None:
        if not self.enabled:
            return
        operation = response._get_action()
        if response.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return  # unauthenticated by design, e.g. Cognito's InitiateAuth
        if "Authorization" not in response.headers:
            raise _denied(response, "MissingAuthenticationTokenException", "Missing Authentication Token")
        caller = self._caller(response, operation)
        if response.service_name == "sts" and operation == "GetCallerIdentity":
            return  # always allowed, even with every other permission denied
        for action, resource, context in requested_access(response, self._account_id, self._region):
            decision = self._decide(caller, action, resource, context)
            self._record(caller, action, resource, decision)
            if not decision.allowed:
                explicit = " with an explicit deny" if decision.outcome.name == "EXPLICIT_DENY" else ""
                message = (
                    f"User: {caller.principal.arn} is not authorized to perform: {action} "
                    f"on resource: {resource}{explicit}"
                )
                raise _denied(response, "AccessDeniedException", message)

    def _caller(self, response: Any, operation: str) -> Caller:
        request = IAMRequest(
            account_id=self._account_id,
            method=response.method,
            path=_raw_path(response),
            # Without a body, moto's ``data`` of some REST services holds the headers, which would
            # then be signed as if they were the payload.
            data={}
            if response.method in ("GET", "HEAD", "DELETE") and not response.raw_body
            else response.data,
            body=response.raw_body,
            headers=response.headers,
            action=operation,
        )
        request.check_signature()  # raises moto's InvalidClientTokenId / SignatureDoesNotMatch
        access_key_id: str = request._access_key._access_key_id
        caller = self._directory.caller_for(access_key_id)
        if caller is None:
            raise _denied(
                response,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        if caller.expiration is not None and caller.expiration <= datetime.now(UTC):
            raise _denied(
                response, "ExpiredTokenException", "The security token included in the request is expired"
            )
        return caller

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
            if service == "sns" and ":sns:" in resource:
                topic = sns_backends[self._account_id][self._region].get_topic(resource)
                topic_policy: Mapping[str, Any] = json.loads(topic.policy)
                return topic_policy
            if service == "lambda" and ":function:" in resource:
                return function_policy(lambda_backends[self._account_id][self._region].get_function(resource))
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


def _raw_path(response: Any) -> str:
    query = urlparse(response.uri).query
    path: str = response.raw_path
    return f"{path}?{query}" if query else path


def _denied(response: Any, error_type: str, message: str) -> Exception:
    if response.service_name in _XML_SERVICES:
        return AccessDeniedXmlError(message)
    return AccessDeniedJsonError(error_type, message)


# ------------------------------------------------------------------ what a request needs


def _parameters(response: Any) -> dict[str, Any]:
    body = response.body
    if isinstance(body, dict):  # some services' responses have parsed the JSON body already
        return body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if body and body.lstrip().startswith("{"):
        try:
            parsed: dict[str, Any] = json.loads(body)
            return parsed
        except json.JSONDecodeError:
            pass
    values = parse_qs(body or "") if body else {}
    values.update(parse_qs(urlparse(response.uri).query))
    # Query-protocol services (SNS, STS, IAM): moto has parsed the form into ``querystring`` already.
    for key, items in (getattr(response, "querystring", None) or {}).items():
        values.setdefault(key, items)
    return {key: items[0] for key, items in values.items() if items}


_DYNAMODB_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def requested_access(response: Any, account_id: str, region: str) -> list[Access]:
    """The IAM actions and resources a request needs, as AWS authorises it."""
    service = response.service_name
    operation = response._get_action()
    parameters = _parameters(response)
    resolver = _SERVICE_ACCESS.get(service)
    if resolver is None:
        return [Access(f"{_signing_name(response)}:{operation}", "*")]
    return resolver(operation, parameters, response, account_id, region)


def _dynamodb(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    def table(name: str, index: str | None = None) -> str:
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    def partition_key(table_name: str, index_name: str | None) -> str | None:
        return _partition_key(account, region, table_name, index_name)

    if operation in ("TransactWriteItems", "TransactGetItems"):
        needed = []
        for item in parameters.get("TransactItems", []):
            ((kind, body),) = item.items()
            action = _DYNAMODB_TRANSACTION_ACTIONS[kind]
            context = item_context(action, body, body["TableName"], partition_key, in_transaction=True)
            needed.append(Access(f"dynamodb:{action}", table(body["TableName"]), context))
        return needed
    if operation in ("BatchWriteItem", "BatchGetItem"):
        return [
            Access(
                f"dynamodb:{operation}", table(name), batch_context(operation, requests, name, partition_key)
            )
            for name, requests in parameters.get("RequestItems", {}).items()
        ]
    if "TableName" in parameters:
        name = parameters["TableName"]
        resource = table(name, parameters.get("IndexName"))
        if operation in _DYNAMODB_ITEM_OPERATIONS:
            return [
                Access(
                    f"dynamodb:{operation}",
                    resource,
                    item_context(operation, parameters, name, partition_key),
                )
            ]
        return [Access(f"dynamodb:{operation}", resource)]
    return [Access(f"dynamodb:{operation}", "*")]


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


def _sqs(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    # The batch operations are authorised as their single-message actions.
    action = "sqs:" + operation.removesuffix("Batch")
    url = parameters.get("QueueUrl") or ""
    name = url.rstrip("/").rsplit("/", 1)[-1] if url else parameters.get("QueueName")
    return [Access(action, f"arn:aws:sqs:{region}:{account}:{name}" if name else "*")]


def _sns(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    action = "sns:Publish" if operation == "PublishBatch" else f"sns:{operation}"
    # SNS's condition keys for Subscribe: where the notices would go, and how.
    context = {f"sns:{name}": parameters[name] for name in ("Endpoint", "Protocol") if name in parameters}
    return [Access(action, parameters.get("TopicArn") or parameters.get("TargetArn") or "*", context)]


def _lambda(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    action = {"Invoke": "lambda:InvokeFunction", "InvokeAsync": "lambda:InvokeAsync"}.get(
        operation, f"lambda:{operation}"
    )
    parts = response.path.split("/")
    name = unquote(parts[3]) if len(parts) > 3 and parts[2] == "functions" else None
    if name and not name.startswith("arn:"):
        name = f"arn:aws:lambda:{region}:{account}:function:{name}"
    if name and name.count(":") > 6:  # a qualified ARN (version or alias) is its own resource
        return [Access(action, name)]
    return [Access(action, name or "*")]


def _states(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    resource = parameters.get("stateMachineArn") or parameters.get("executionArn") or "*"
    return [Access(f"states:{operation}", resource)]


def _sts(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    return [Access(f"sts:{operation}", parameters.get("RoleArn") or "*")]


def _logs(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    group = parameters.get("logGroupName")
    if not group:
        return [Access(f"logs:{operation}", "*")]
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    stream = parameters.get("logStreamName")
    return [Access(f"logs:{operation}", f"{arn}:log-stream:{stream}" if stream else f"{arn}:*")]


def _cognito(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    pool = parameters.get("UserPoolId")
    resource = f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool}" if pool else "*"
    return [Access(f"cognito-idp:{operation}", resource)]


def _iam(
    operation: str, parameters: dict[str, Any], response: Any, account: str, region: str
) -> list[Access]:
    if "RoleName" in parameters:
        return [Access(f"iam:{operation}", f"arn:aws:iam::{account}:role/{parameters['RoleName']}")]
    if "UserName" in parameters:
        return [Access(f"iam:{operation}", f"arn:aws:iam::{account}:user/{parameters['UserName']}")]
    return [Access(f"iam:{operation}", parameters.get("PolicyArn") or "*")]


def _signing_name(response: Any) -> str:
    """The service part of the credential scope: the IAM prefix for most services."""
    authorization = response.headers.get("Authorization", "")
    try:
        signing = authorization.split("Credential=")[1].split("/")[3]
    except IndexError:
        return str(response.service_name)
    return {"monitoring": "cloudwatch"}.get(str(signing), str(signing))


_SERVICE_ACCESS: dict[str, Callable[[str, dict[str, Any], Any, str, str], list[Access]]] = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "lambda": _lambda,
    "awslambda": _lambda,
    "stepfunctions": _states,
    "sts": _sts,
    "logs": _logs,
    "cognito-idp": _cognito,
    "iam": _iam,
}
