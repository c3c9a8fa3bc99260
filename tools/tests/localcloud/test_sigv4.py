"""Server-side SigV4 verification: requests signed by botocore and requests-aws4auth verify; every
way of getting a signature, a key or a session token wrong is refused with AWS's answer."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests

from iam_eval import PrincipalKind
from localcloud.identity import Caller
from localcloud.sigv4 import SignatureError, verify
from stacktools.project import REGION
from tests.localcloud.apigateway_support import (
    APPSYNC_KEY,
    APPSYNC_SESSION_ARN,
    EXPIRED_KEY,
    NOW,
    SERVICE,
    UNKNOWN_KEY,
    USER_ARN,
    USER_KEY,
    Key,
    amz_date,
    aws4auth,
    botocore_signed,
    loyalty_callers,
)

URL = f"https://abc123defg.execute-api.{REGION}.amazonaws.com/dev/loyalty/42/get?verbose=true&tag=a"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def _verify(
    method: str, url: str, headers: Mapping[str, str], body: bytes = b"", *, now: datetime = NOW
) -> Caller:
    # Host is what the HTTP client sends on the wire; botocore signs it without adding the header.
    received = {"Host": urlsplit(url).netloc, **headers}
    return verify(
        method,
        url,
        received,
        body,
        service=SERVICE,
        region=REGION,
        directory=loyalty_callers(),
        now=now,
    )


def _refusal(method: str, url: str, headers: Mapping[str, str], body: bytes = b"") -> SignatureError:
    with pytest.raises(SignatureError) as refused:
        _verify(method, url, headers, body)
    return refused.value


def _signed(
    key: Key = APPSYNC_KEY,
    method: str = "GET",
    url: str = URL,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    region: str = REGION,
    service: str = SERVICE,
    at: datetime = NOW,
) -> dict[str, str]:
    return botocore_signed(
        method, url, key, body=body, headers=headers, region=region, service=service, at=at
    )


def _with_authorization(headers: Mapping[str, str], old: str, new: str) -> dict[str, str]:
    changed = dict(headers)
    changed["Authorization"] = changed["Authorization"].replace(old, new)
    return changed


# ---------------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    ("key", "arn", "kind"),
    [
        (APPSYNC_KEY, APPSYNC_SESSION_ARN, PrincipalKind.ROLE_SESSION),
        (USER_KEY, USER_ARN, PrincipalKind.USER),
    ],
    ids=["role-session", "user"],
)
def test_a_botocore_signed_request_names_its_caller(key: Key, arn: str, kind: PrincipalKind) -> None:
    caller = _verify("GET", URL, _signed(key))

    assert (caller.principal.arn, caller.principal.kind) == (arn, kind)


def test_a_signed_body_and_signed_extra_headers_verify() -> None:
    body = b'{"points": 10}'
    headers = _signed(
        method="POST", body=body, headers={"Content-Type": "application/json", "X-Trace": "a  b"}
    )

    assert _verify("POST", URL, headers, body).principal.arn == APPSYNC_SESSION_ARN


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example/dev/loyalty/a%20b/get",
        "https://api.example/dev/loyalty/%C3%A9t%C3%A9/get?q=%2F%2B%20&flag",
        "https://api.example/dev/./loyalty/x/../42/get",
        "https://api.example/",
    ],
    ids=["encoded-space", "utf8-and-reserved-query", "dot-segments", "root"],
)
def test_paths_and_queries_are_canonicalised_as_aws_does(url: str) -> None:
    assert _verify("GET", url, _signed(url=url)).principal.arn == APPSYNC_SESSION_ARN


@pytest.mark.parametrize("key", [APPSYNC_KEY, USER_KEY], ids=["role-session", "user"])
def test_a_requests_aws4auth_signed_request_verifies(key: Key) -> None:
    body = b'{"points": 10}'
    prepared = requests.Request(
        "POST",
        "http://127.0.0.1:8080/dev/loyalty/42/get?tag=a b",
        data=body,
        headers=amz_date(),
        auth=aws4auth(key),
    ).prepare()
    assert isinstance(prepared.body, bytes)
    assert prepared.url is not None

    caller = _verify("POST", prepared.url, dict(prepared.headers), prepared.body)

    assert caller.secret_access_key == key.secret_access_key


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=-5), timedelta(minutes=5)], ids=["5min-old", "5min-ahead"]
)
def test_five_minutes_of_clock_skew_are_tolerated(skew: timedelta) -> None:
    assert _verify("GET", URL, _signed(at=NOW + skew)).principal.arn == APPSYNC_SESSION_ARN


def test_a_naive_clock_is_taken_as_utc() -> None:
    assert _verify("GET", URL, _signed(), now=NOW.replace(tzinfo=None)).principal.arn == APPSYNC_SESSION_ARN


# ---------------------------------------------------------------------------------- the Authorization header


def test_no_authorization_is_a_missing_authentication_token() -> None:
    refusal = _refusal("GET", URL, {})

    assert (refusal.status, refusal.error_type, refusal.message) == (
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_a_presigned_url_is_refused_as_unsupported() -> None:
    url = f"{URL}&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=y"

    refusal = _refusal("GET", url, {})

    assert (refusal.status, refusal.error_type) == (400, "IncompleteSignatureException")
    assert "presigned URL" in refusal.message


def test_a_bearer_token_is_not_a_signature() -> None:
    refusal = _refusal("GET", URL, {"Authorization": "Bearer eyJhbGciOi", **amz_date()})

    assert refusal.error_type == "IncompleteSignatureException"
    assert refusal.message == (
        "'eyJhbGciOi' not a valid key=value pair (missing equal-sign) in Authorization header: "
        "'Bearer eyJhbGciOi'."
    )


def test_missing_parameters_and_date_are_all_reported() -> None:
    refusal = _refusal("GET", URL, {"Authorization": "AWS4-HMAC-SHA256"})

    assert refusal.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_a_request_dated_only_by_date_is_refused_as_unsupported() -> None:
    headers = _signed()
    del headers["X-Amz-Date"]
    headers["Date"] = "Tue, 01 Jan 2030 12:00:00 GMT"

    assert _refusal("GET", URL, headers).error_type == "IncompleteSignatureException"


def test_the_date_must_be_in_basic_format() -> None:
    headers = {**_signed(), "X-Amz-Date": "2030-01-01T12:00:00Z"}

    assert _refusal("GET", URL, headers).message == (
        "Date must be in ISO-8601 'basic format'. Got '2030-01-01T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_an_unsupported_algorithm_is_named() -> None:
    headers = _with_authorization(_signed(), "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 ")

    assert _refusal("GET", URL, headers).message == (
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "
    )


@pytest.mark.parametrize(
    ("signed", "message"),
    [
        ("x-amz-date;x-amz-security-token", "'Host' must be a 'SignedHeader' in the AWS Authorization."),
        ("host;x-amz-security-token", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."),
    ],
    ids=["host", "x-amz-date"],
)
def test_host_and_date_must_be_signed(signed: str, message: str) -> None:
    headers = _with_authorization(
        _signed(), "SignedHeaders=host;x-amz-date;x-amz-security-token", f"SignedHeaders={signed}"
    )

    refusal = _refusal("GET", URL, headers)

    assert (refusal.error_type, refusal.message) == ("InvalidSignatureException", message)


# ---------------------------------------------------------------------------------- the credential scope


def test_a_credential_has_five_elements() -> None:
    headers = _with_authorization(_signed(), "/aws4_request", "")

    assert _refusal("GET", URL, headers).message == (
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        f"got '{APPSYNC_KEY.access_key_id}/20300101/{REGION}/{SERVICE}'"
    )


@pytest.mark.parametrize(
    ("signing", "message"),
    [
        ({"region": "us-east-1"}, "Credential should be scoped to a valid region, not 'us-east-1'."),
        ({"service": "lambda"}, "Credential should be scoped to correct service: 'execute-api'."),
    ],
    ids=["region", "service"],
)
def test_a_signature_for_another_region_or_service_is_refused(signing: dict[str, str], message: str) -> None:
    refusal = _refusal(
        "GET", URL, _signed(region=signing.get("region", REGION), service=signing.get("service", SERVICE))
    )

    assert (refusal.status, refusal.error_type, refusal.message) == (
        403,
        "InvalidSignatureException",
        message,
    )


def test_every_scope_problem_is_reported_together() -> None:
    headers = _with_authorization(
        _signed(), f"/20300101/{REGION}/{SERVICE}/aws4_request", "/20291231/us-west-2/lambda/aws5_request"
    )

    assert _refusal("GET", URL, headers).message == (
        "Credential should be scoped to a valid region, not 'us-west-2'. "
        "Credential should be scoped to correct service: 'execute-api'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20291231' != '20300101', from '20300101T120000Z'."
    )


# ---------------------------------------------------------------------------------- time


def test_a_signature_older_than_five_minutes_has_expired() -> None:
    refusal = _refusal("GET", URL, _signed(at=NOW - timedelta(minutes=5, seconds=1)))

    assert (refusal.error_type, refusal.message) == (
        "InvalidSignatureException",
        "Signature expired: 20300101T115459Z is now earlier than 20300101T115500Z "
        "(20300101T120000Z - 5 min.)",
    )


def test_a_signature_from_more_than_five_minutes_ahead_is_not_yet_current() -> None:
    refusal = _refusal("GET", URL, _signed(at=NOW + timedelta(minutes=5, seconds=1)))

    assert (refusal.error_type, refusal.message) == (
        "InvalidSignatureException",
        "Signature not yet current: 20300101T120501Z is still later than 20300101T120500Z "
        "(20300101T120000Z + 5 min.)",
    )


def test_expired_credentials_are_refused_even_when_correctly_signed() -> None:
    refusal = _refusal("GET", URL, _signed(EXPIRED_KEY))

    assert (refusal.status, refusal.error_type, refusal.message) == (
        403,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )


# ---------------------------------------------------------------------------------- keys and signatures


def test_an_unknown_access_key_is_an_unrecognized_client() -> None:
    refusal = _refusal("GET", URL, _signed(UNKNOWN_KEY))

    assert (refusal.status, refusal.error_type, refusal.message) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_a_wrong_secret_gives_a_mismatch_with_the_expected_canonical_request() -> None:
    forged = Key(APPSYNC_KEY.access_key_id, "not-the-secret", APPSYNC_KEY.session_token)

    refusal = _refusal("GET", URL, _signed(forged))

    assert refusal.error_type == "InvalidSignatureException"
    assert refusal.message.startswith(
        SIGNATURE_MISMATCH + "\n\nThe Canonical String for this request should have been\n'GET\n"
    )
    scope = f"20300101/{REGION}/{SERVICE}/aws4_request"
    assert (
        f"\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20300101T120000Z\n{scope}\n"
        in refusal.message
    )


@pytest.mark.parametrize(
    ("sent_url", "sent_body", "sent_headers"),
    [
        (
            "https://abc123defg.execute-api.eu-west-1.amazonaws.com/dev/loyalty/43/get?verbose=true&tag=a",
            b"{}",
            {},
        ),
        (URL.replace("tag=a", "tag=b"), b"{}", {}),
        (URL, b'{"points": 1000000}', {}),
        (URL, b"{}", {"Content-Type": "text/plain"}),
    ],
    ids=["path", "query", "body", "signed-header"],
)
def test_a_request_changed_after_signing_is_refused(
    sent_url: str, sent_body: bytes, sent_headers: dict[str, str]
) -> None:
    headers = _signed(method="POST", body=b"{}", headers={"Content-Type": "application/json"})

    refusal = _refusal("POST", sent_url, {**headers, **sent_headers}, sent_body)

    assert (refusal.error_type, refusal.message.split("\n")[0]) == (
        "InvalidSignatureException",
        SIGNATURE_MISMATCH,
    )


def test_a_content_hash_that_is_not_the_bodys_is_refused_even_if_signed() -> None:
    # botocore would sign over this header's value; the service must hash the body it received.
    forged_body = b'{"points": 1000000}'
    claimed = {"X-Amz-Content-SHA256": hashlib.sha256(forged_body).hexdigest()}
    headers = _signed(method="POST", body=forged_body, headers=claimed)

    refusal = _refusal("POST", URL, headers, b"{}")

    assert refusal.error_type == "InvalidSignatureException"
    assert "is not the SHA-256 of the body received" in refusal.detail


def test_a_signed_header_missing_from_the_request_is_a_mismatch() -> None:
    headers = _signed(headers={"X-Trace": "abc"})
    del headers["X-Trace"]

    refusal = _refusal("GET", URL, headers)

    assert (refusal.error_type, refusal.detail) == (
        "InvalidSignatureException",
        "signed header(s) missing from the request: x-trace",
    )


# ---------------------------------------------------------------------------------- session tokens


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        (
            Key(APPSYNC_KEY.access_key_id, APPSYNC_KEY.secret_access_key),
            "temporary credentials used without their X-Amz-Security-Token",
        ),
        (
            Key(APPSYNC_KEY.access_key_id, APPSYNC_KEY.secret_access_key, "someone-elses-token"),
            "the X-Amz-Security-Token is not the one issued with this access key",
        ),
        (
            Key(USER_KEY.access_key_id, USER_KEY.secret_access_key, "a-token-for-a-long-term-key"),
            "a security token was sent with a long-term access key",
        ),
    ],
    ids=["missing", "wrong", "extra"],
)
def test_a_session_token_must_be_the_one_issued_with_the_key(key: Key, detail: str) -> None:
    refusal = _refusal("GET", URL, _signed(key))

    assert (refusal.status, refusal.error_type, refusal.message, refusal.detail) == (
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        detail,
    )


def test_a_session_token_must_be_signed() -> None:
    headers = _signed(Key(APPSYNC_KEY.access_key_id, APPSYNC_KEY.secret_access_key))
    headers["X-Amz-Security-Token"] = str(APPSYNC_KEY.session_token)

    refusal = _refusal("GET", URL, headers)

    assert (refusal.error_type, refusal.message) == (
        "InvalidSignatureException",
        "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
    )
