"""Server-side verification of AWS Signature Version 4 (``Authorization: AWS4-HMAC-SHA256 ...``).

Every local endpoint that accepts signed requests (the local API Gateway, the local AppSync) calls
:func:`verify`, which returns the :class:`~localcloud.identity.Caller` behind the access key or raises
:class:`SignatureError` with the error type and message AWS would answer with.

The signature is recomputed with botocore's :class:`~botocore.auth.SigV4Auth` over a request rebuilt
from the signed headers only, at the request's own ``X-Amz-Date``, with the SHA-256 of the body
actually received. The checks run in the order AWS services report them: the header's shape, the
date and clock skew, the signed headers, the credential scope, the access key, the signature, then
the session token and the credentials' expiry.

Error texts are AWS's, as returned by services and quoted in SDK and user reports; where AWS's exact
text is not known the message is modelled on its neighbours and says so in a comment.

Not supported: query-string authentication (presigned URLs) is refused, and so is a request dated
only by a ``Date`` header instead of ``X-Amz-Date`` (SDKs always send ``X-Amz-Date``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from localcloud.identity import Caller, IdentityDirectory

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_CLOCK_SKEW = timedelta(minutes=5)
"""AWS refuses a request whose ``X-Amz-Date`` is more than five minutes off the service's clock."""

_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_PRESIGNING_PARAMETERS = frozenset({"x-amz-algorithm", "x-amz-credential", "x-amz-signature"})
_REQUIRED_PARAMETERS = ("Credential", "Signature", "SignedHeaders")

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_UNRECOGNIZED_CLIENT = "The security token included in the request is invalid."
_EXPIRED_CREDENTIALS = "The security token included in the request is expired"


class SignatureError(Exception):
    """A request whose signature does not authenticate it.

    Attributes:
        status: the HTTP status AWS services commonly answer with: 400 for a malformed
            Authorization header or an unsupported form of authentication, 403 otherwise.
            (API Gateway answers 403 in every case.)
        error_type: the AWS error type, e.g. ``InvalidSignatureException``.
        message: the message AWS sends back to the caller.
        detail: what exactly failed, for the server's own records; never sent to the caller
            when it says more than ``message``.
    """

    def __init__(self, status: int, error_type: str, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.detail = detail or message


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    service: str,
    region: str,
    directory: IdentityDirectory,
    now: datetime | None = None,
) -> Caller:
    """Authenticate a SigV4-signed request and return its caller.

    Args:
        method: the HTTP method.
        url: the URL as the client sent it: scheme and host (ignored), the path still
            percent-encoded as it came over the wire, and the raw query string.
        headers: the request headers (names in any case).
        body: the request body, exactly as received.
        service: the signing name the endpoint answers to (``execute-api``, ``appsync``).
        region: the endpoint's region.
        directory: where access keys are looked up.
        now: the server's clock (a naive datetime is taken as UTC); the current time when omitted.

    Raises:
        SignatureError: the request is not signed, or not signed correctly, or its credentials
            are unknown, expired or incomplete.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    authorization = lowered.get("authorization")
    _refuse_presigned_url(query, authorization)
    if authorization is None:
        raise SignatureError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")

    clock = _aware(now) if now is not None else datetime.now(UTC)
    algorithm, parameters = _parse_authorization(authorization, lowered)
    signed_at = _signing_time(lowered["x-amz-date"])
    _check_clock_skew(signed_at, clock)
    # SigV4 lists signed headers in lower case; lowering them here keeps the canonical request in
    # that form even if a client did not.
    signed_headers = parameters["SignedHeaders"].lower().split(";")
    _check_signed_headers(signed_headers)
    if algorithm != ALGORITHM:
        raise SignatureError(
            400,
            "IncompleteSignatureException",
            f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). ",
        )
    access_key_id = _check_scope(parameters["Credential"], lowered["x-amz-date"], service, region)

    caller = directory.caller_for(access_key_id)
    if caller is None:
        raise SignatureError(
            403, "UnrecognizedClientException", _UNRECOGNIZED_CLIENT, f"no such access key {access_key_id}"
        )
    _check_signature(
        _SignedRequest(
            method=method,
            path=parts.path,
            query=query,
            headers=lowered,
            signed_headers=signed_headers,
            body=body,
            amz_date=lowered["x-amz-date"],
            signature=parameters["Signature"],
        ),
        access_key_id,
        caller,
        service,
        region,
    )
    _check_session_token(caller, lowered.get("x-amz-security-token"), signed_headers)
    if caller.expiration is not None and clock >= _aware(caller.expiration):
        raise SignatureError(
            403,
            "ExpiredTokenException",
            _EXPIRED_CREDENTIALS,
            f"the credentials of {access_key_id} expired at {caller.expiration.isoformat()}",
        )
    return caller


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _SignedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    signed_headers: list[str]
    body: bytes
    amz_date: str
    signature: str


def _refuse_presigned_url(query: list[tuple[str, str]], authorization: str | None) -> None:
    if not any(name.lower() in _PRESIGNING_PARAMETERS for name, _ in query):
        return
    if authorization is not None:
        raise SignatureError(
            400,
            "InvalidSignatureException",
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        )
    # AWS accepts presigned URLs; this verifier deliberately does not, and says so rather than
    # answering "Missing Authentication Token".
    raise SignatureError(
        400,
        "IncompleteSignatureException",
        "Query-string authentication (a presigned URL) is not supported by this local endpoint: "
        "sign the request with an Authorization header.",
    )


def _parse_authorization(authorization: str, headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    algorithm, _, rest = authorization.strip().partition(" ")
    parameters: dict[str, str] = {}
    for item in (piece.strip() for piece in rest.split(",")):
        if not item:
            continue
        name, equals, value = item.partition("=")
        if not equals:
            raise SignatureError(
                400,
                "IncompleteSignatureException",
                f"'{item}' not a valid key=value pair (missing equal-sign) in Authorization header: "
                f"'{authorization}'.",
            )
        parameters[name.strip()] = value.strip()
    problems = [
        f"Authorization header requires '{name}' parameter. "
        for name in _REQUIRED_PARAMETERS
        if not parameters.get(name)
    ]
    if "x-amz-date" not in headers and "date" not in headers:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems:
        raise SignatureError(
            400, "IncompleteSignatureException", "".join(problems) + f"Authorization={authorization}"
        )
    if "x-amz-date" not in headers:
        # AWS also accepts an RFC 1123 `Date` header; SDKs send X-Amz-Date, which is all this supports.
        raise SignatureError(
            400,
            "IncompleteSignatureException",
            "This local endpoint requires the X-Amz-Date header; "
            "a request dated only by 'Date' is not supported.",
        )
    return algorithm, parameters


def _signing_time(amz_date: str) -> datetime:
    if _AMZ_DATE.match(amz_date):
        try:
            return datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise SignatureError(
        400,
        "IncompleteSignatureException",
        f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


def _check_clock_skew(signed_at: datetime, now: datetime) -> None:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime(_AMZ_DATE_FORMAT)

    if signed_at < now - MAX_CLOCK_SKEW:
        raise SignatureError(
            403,
            "InvalidSignatureException",
            f"Signature expired: {stamp(signed_at)} is now earlier than "
            f"{stamp(now - MAX_CLOCK_SKEW)} ({stamp(now)} - 5 min.)",
        )
    if signed_at > now + MAX_CLOCK_SKEW:
        raise SignatureError(
            403,
            "InvalidSignatureException",
            f"Signature not yet current: {stamp(signed_at)} is still later than "
            f"{stamp(now + MAX_CLOCK_SKEW)} ({stamp(now)} + 5 min.)",
        )


def _check_signed_headers(signed_headers: list[str]) -> None:
    if "host" not in signed_headers:
        raise SignatureError(
            403, "InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization."
        )
    if "x-amz-date" not in signed_headers:
        # Modelled on AWS's message for Host: the exact text AWS uses here is not known. Requiring
        # the date to be signed keeps a captured signature from being replayed under a fresh date.
        raise SignatureError(
            403,
            "InvalidSignatureException",
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
        )


def _check_scope(credential: str, amz_date: str, service: str, region: str) -> str:
    """The access key id, once the credential scope is this endpoint's for the request's date."""
    elements = credential.split("/")
    if len(elements) != 5:
        raise SignatureError(
            400,
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'",
        )
    access_key_id, date, scope_region, scope_service, terminator = elements
    problems = []
    if scope_region != region:
        problems.append(f"Credential should be scoped to a valid region, not '{scope_region}'. ")
    if scope_service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'. ")
    if terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
        )
    if date != amz_date[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if problems:
        raise SignatureError(403, "InvalidSignatureException", "".join(problems).strip())
    return access_key_id


class _ReceivedRequestSigner(SigV4Auth):
    """SigV4Auth computing what the client should have signed, as a service does.

    botocore's signer leaves out headers it never signs itself (User-Agent, ...) and adds a Host
    header of its own; a service uses exactly the headers the client listed, with the values it
    received, and the hash of the body it received.
    """

    def __init__(
        self,
        credentials: Credentials,
        service: str,
        region: str,
        signed_headers: list[str],
        payload_hash: str,
    ) -> None:
        super().__init__(credentials, service, region)
        self._signed_headers = signed_headers
        self._payload_hash = payload_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        selected = HTTPHeaders()
        for name in self._signed_headers:
            selected[name] = request.headers[name]
        return selected

    def payload(self, request: AWSRequest) -> str:
        return self._payload_hash


def _check_signature(
    request: _SignedRequest, access_key_id: str, caller: Caller, service: str, region: str
) -> None:
    absent = [name for name in request.signed_headers if name not in request.headers]
    if absent:
        raise SignatureError(
            403,
            "InvalidSignatureException",
            _SIGNATURE_MISMATCH,
            f"signed header(s) missing from the request: {', '.join(absent)}",
        )
    body_hash = hashlib.sha256(request.body).hexdigest()
    claimed_hash = request.headers.get("x-amz-content-sha256")
    # botocore's canonical_request() takes the payload hash from this header when it is present;
    # AWS hashes the body it received. Once the two agree, either gives the same canonical request.
    if claimed_hash is not None and not hmac.compare_digest(claimed_hash.encode(), body_hash.encode()):
        raise SignatureError(
            403,
            "InvalidSignatureException",
            _SIGNATURE_MISMATCH,
            f"X-Amz-Content-SHA256 {claimed_hash} is not the SHA-256 of the body received ({body_hash})",
        )
    # The query is decoded, then re-encoded with SigV4's rules whatever encoding the client used;
    # SigV4Auth sorts the pairs.
    query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in request.query
    )
    rebuilt = AWSRequest(
        method=request.method.upper(),
        # The path exactly as received: SigV4Auth normalises it and encodes it once more, which is
        # how AWS builds the canonical URI for every service but S3. The host part is not used: the
        # Host header is among the signed headers.
        url=f"https://localhost{request.path or '/'}" + (f"?{query}" if query else ""),
        headers={name: request.headers[name] for name in request.signed_headers},
    )
    rebuilt.context["timestamp"] = request.amz_date
    signer = _ReceivedRequestSigner(
        Credentials(access_key_id, caller.secret_access_key, caller.session_token),
        service,
        region,
        request.signed_headers,
        body_hash,
    )
    canonical_request = signer.canonical_request(rebuilt)
    string_to_sign = signer.string_to_sign(rebuilt, canonical_request)
    expected = signer.signature(string_to_sign, rebuilt)
    if not hmac.compare_digest(expected.encode(), request.signature.encode()):
        raise SignatureError(
            403,
            "InvalidSignatureException",
            _mismatch_message(canonical_request, string_to_sign),
            "the signature does not match the request as received",
        )


def _mismatch_message(canonical_request: str, string_to_sign: str) -> str:
    # API Gateway and other services append what they computed, to help the client find the difference.
    return (
        f"{_SIGNATURE_MISMATCH}\n\n"
        f"The Canonical String for this request should have been\n'{canonical_request}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    )


def _check_session_token(caller: Caller, token: str | None, signed_headers: list[str]) -> None:
    if caller.session_token is None:
        if token is not None:
            raise SignatureError(
                403,
                "UnrecognizedClientException",
                _UNRECOGNIZED_CLIENT,
                "a security token was sent with a long-term access key",
            )
        return
    if token is None:
        raise SignatureError(
            403,
            "UnrecognizedClientException",
            _UNRECOGNIZED_CLIENT,
            "temporary credentials used without their X-Amz-Security-Token",
        )
    if "x-amz-security-token" not in signed_headers:
        # Modelled on AWS's message for Host. Some AWS services accept an unsigned token; this
        # verifier requires it to be signed so that it cannot be swapped on a captured request.
        raise SignatureError(
            403,
            "InvalidSignatureException",
            "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
        )
    if not hmac.compare_digest(token.encode(), caller.session_token.encode()):
        raise SignatureError(
            403,
            "UnrecognizedClientException",
            _UNRECOGNIZED_CLIENT,
            "the X-Amz-Security-Token is not the one issued with this access key",
        )
