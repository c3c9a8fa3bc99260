"""The Cognito operations a browser needs, on the web app's own origin, and nothing else.

The local AWS endpoint sends no CORS headers: a web page must not be able to drive the local account.
The web app therefore reaches the user pool through its own origin (``POST /cognito``), and this
gateway forwards only the public, unauthenticated operations a customer uses, for the stack's app
client alone:

- ``SignUp``, then ``ConfirmSignUp`` with the code "mailed" to the customer;
- ``ResendConfirmationCode``;
- ``InitiateAuth`` with ``USER_PASSWORD_AUTH``.

Anything else - another operation, another app client, another auth flow - is refused before it reaches
the endpoint. ``USER_SRP_AUTH`` is refused too: the local user pool (moto) does not verify SRP proofs,
so a browser could sign in as anyone with any password; refusing it keeps the local cloud stricter
than Cognito, never looser.

moto's ``ConfirmSignUp`` confirms a user whatever code it is given, and sends no mail. The gateway
plays Cognito's part: it makes a one-time code when a sign-up succeeds, "mails" it (``deliver``: the
terminal of ``make local``, or a test's outbox), and forwards ``ConfirmSignUp`` only with that code -
at most :data:`MAX_CODE_ATTEMPTS` wrong codes, within :data:`CODE_LIFETIME_SECONDS`, as Cognito allows.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import AuthBase
from werkzeug.wrappers import Request, Response

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
AUTH_FLOWS = frozenset({"USER_PASSWORD_AUTH"})
MAX_BODY_BYTES = 64 * 1024
MAX_CODE_ATTEMPTS = 5
CODE_LIFETIME_SECONDS = 24 * 3600
"""Cognito's confirmation codes are valid for 24 hours."""
_CONTENT_TYPE = "application/x-amz-json-1.1"
_FORWARD_TIMEOUT_SECONDS = 30


class CognitoError(Exception):
    """Refused by the gateway, in Cognito's shape: the browser reads ``__type`` and ``message``."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class ConfirmationMail:
    """What Cognito would e-mail a new customer."""

    to: str
    code: str


@dataclass
class _PendingCode:
    code: str
    issued_at: float
    failed_attempts: int = 0


class CognitoGateway:
    """Answers ``POST /cognito`` for the web app.

    aws_endpoint: the local AWS endpoint's URL.
    client_id: the stack's user pool app client (``UserPoolClientId``): the only one served.
    signer: signs the operations the local endpoint admits only signed (``SignUp``, ``ConfirmSignUp``:
        moto checks no confirmation code, so the endpoint refuses them unsigned); the gateway has done
        Cognito's checks itself before it forwards them.
    deliver: called with each confirmation code, as Cognito would mail it.
    clock: seconds, for the codes' lifetime.
    """

    def __init__(
        self,
        aws_endpoint: str,
        client_id: str,
        signer: AuthBase,
        deliver: Callable[[ConfirmationMail], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._endpoint = aws_endpoint
        self._client_id = client_id
        self._signer = signer
        self._deliver = deliver
        self._clock = clock
        self._pending: dict[str, _PendingCode] = {}
        self._lock = threading.Lock()
        self._operations: dict[str, Callable[[Request, dict[str, Any]], Response]] = {
            "SignUp": self._sign_up,
            "ConfirmSignUp": self._confirm_sign_up,
            "ResendConfirmationCode": self._resend_confirmation_code,
            "InitiateAuth": self._initiate_auth,
        }

    def respond(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("Method Not Allowed", status=405, headers={"Allow": "POST"})
        try:
            operation, parameters = self._admitted(request)
            return self._operations[operation](request, parameters)
        except CognitoError as error:
            return _json({"__type": error.error_type, "message": error.message}, error.status)

    def _admitted(self, request: Request) -> tuple[str, dict[str, Any]]:
        """The operation and its parameters, if this gateway serves them; else CognitoError."""
        target = request.headers.get("X-Amz-Target", "")
        operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else ""
        if operation not in self._operations:
            served = ", ".join(sorted(self._operations))
            raise CognitoError(
                403, "AccessDeniedException", f"the web app's Cognito route serves only {served}"
            )
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise CognitoError(413, "RequestEntityTooLarge", f"the request exceeds {MAX_BODY_BYTES} bytes")
        try:
            parameters = json.loads(request.get_data(cache=True) or b"null")
        except ValueError:
            parameters = None
        if not isinstance(parameters, dict):
            raise CognitoError(400, "SerializationException", "the request body must be a JSON object")
        if parameters.get("ClientId") != self._client_id:
            message = f"User pool client {parameters.get('ClientId')} does not exist."
            raise CognitoError(400, "ResourceNotFoundException", message)
        return operation, parameters

    def _initiate_auth(self, request: Request, parameters: dict[str, Any]) -> Response:
        flow = parameters.get("AuthFlow")
        if flow not in AUTH_FLOWS:
            why = " (its user pools do not verify SRP proofs)" if flow == "USER_SRP_AUTH" else ""
            message = f"the local cloud serves the auth flow {', '.join(sorted(AUTH_FLOWS))} only, not {flow}"
            raise CognitoError(400, "InvalidParameterException", message + why)
        return self._forward("InitiateAuth", request)

    def _sign_up(self, request: Request, parameters: dict[str, Any]) -> Response:
        response = self._forward("SignUp", request, signed=True)
        if response.status_code == 200 and not json.loads(response.get_data()).get("UserConfirmed"):
            self._mail_new_code(_username(parameters))
        return response

    def _confirm_sign_up(self, request: Request, parameters: dict[str, Any]) -> Response:
        username = _username(parameters)
        self._check_code(username, str(parameters.get("ConfirmationCode") or ""))
        response = self._forward("ConfirmSignUp", request, signed=True)
        if response.status_code == 200:
            with self._lock:
                self._pending.pop(username.lower(), None)
        return response

    def _resend_confirmation_code(self, request: Request, parameters: dict[str, Any]) -> Response:
        username = _username(parameters)
        with self._lock:
            waiting = username.lower() in self._pending
        if waiting:
            self._mail_new_code(username)
        # The same answer whether or not such a user waits for a code: the app client prevents user
        # existence errors.
        return _json({"CodeDeliveryDetails": _delivery_details(username)})

    def _forward(self, operation: str, request: Request, *, signed: bool = False) -> Response:
        """The request's body to the AWS endpoint as the browser sent it; ``signed`` by the gateway where
        the endpoint admits the operation only signed."""
        try:
            answer = requests.post(
                self._endpoint,
                data=request.get_data(cache=True),
                headers={"Content-Type": _CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation},
                auth=self._signer if signed else None,
                timeout=_FORWARD_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise CognitoError(
                502, "InternalErrorException", f"the local AWS endpoint did not answer: {error}"
            ) from None
        return Response(answer.content, status=answer.status_code, content_type=_CONTENT_TYPE)

    def _mail_new_code(self, username: str) -> None:
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._lock:
            self._pending[username.lower()] = _PendingCode(code, self._clock())
        self._deliver(ConfirmationMail(to=username, code=code))

    def _check_code(self, username: str, code: str) -> None:
        """Returns if ``code`` is the one mailed to ``username``; else raises Cognito's refusal."""
        mismatch = CognitoError(
            400, "CodeMismatchException", "Invalid verification code provided, please try again."
        )
        with self._lock:
            pending = self._pending.get(username.lower())
            if pending is None:
                raise mismatch
            if self._clock() - pending.issued_at > CODE_LIFETIME_SECONDS:
                del self._pending[username.lower()]
                raise CognitoError(
                    400, "ExpiredCodeException", "Invalid code provided, please request a code again."
                )
            if pending.failed_attempts >= MAX_CODE_ATTEMPTS:
                raise CognitoError(
                    400, "LimitExceededException", "Attempt limit exceeded, please try after some time."
                )
            if not hmac.compare_digest(pending.code.encode(), code.encode()):
                pending.failed_attempts += 1
                raise mismatch


def _username(parameters: dict[str, Any]) -> str:
    return str(parameters.get("Username") or "")


def _delivery_details(username: str) -> dict[str, str]:
    """Where the code went, masked as Cognito masks it: ``t***@e***``."""
    local, _, domain = username.partition("@")
    return {
        "Destination": f"{local[:1]}***@{domain[:1]}***" if domain else "***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }


def _json(document: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, content_type=_CONTENT_TYPE)
