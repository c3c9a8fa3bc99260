"""Tricks with SigV4: a captured request replayed for another customer, another body, another operation
or another path; session tokens removed or swapped; signatures from another time; and paths that try
to reach a route by another spelling. On the loyalty REST API and on the AWS endpoint alike, every one
is refused, and nothing is read or written by it."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

from tests.e2e.conftest import create_principal
from tests.support.local_cloud import REGION, Credentials, LocalCloud, sigv4
from tests.support.signing import SignedAt

pytestmark = pytest.mark.local_cloud

TIMEOUT = 30
JSON_1_0 = "application/x-amz-json-1.0"
APPSYNC_ROLE = "LoyaltyDataSourceRole"


def outputs(cloud: LocalCloud) -> dict[str, str]:
    assert cloud.stack is not None
    return cloud.stack.outputs


@pytest.fixture(scope="module")
def appsync(cloud: LocalCloud) -> Credentials:
    """The one principal the loyalty API admits: AppSync's loyalty data source role."""
    return cloud.role_credentials(APPSYNC_ROLE)


@pytest.fixture(scope="module")
def outsider(cloud: LocalCloud) -> Credentials:
    """A role of the account allowed every execute-api action: the API's resource policy denies it."""
    return create_principal(cloud, f"outsider-{uuid.uuid4().hex[:6]}", ["execute-api:*"])


def loyalty_url(cloud: LocalCloud, customer: str) -> str:
    return f"{cloud.endpoints.loyalty_api}/loyalty/{customer}/get"


def loyalty_reads(cloud: LocalCloud) -> int:
    """How many times anyone has read the loyalty table (GetLoyalty does, each time it runs)."""
    table = f":table/{outputs(cloud)['LoyaltyTableName']}"
    return sum(1 for record in cloud.enforcement.records if record.resource.endswith(table))


def botocore_signed(credentials: Credentials, url: str) -> dict[str, str]:
    """The headers botocore's signer adds to a GET of this URL for execute-api, path exactly as given."""
    request = AWSRequest(method="GET", url=url)
    signer = BotocoreCredentials(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
    SigV4Auth(signer, "execute-api", REGION).add_auth(request)
    return {name: str(value) for name, value in request.headers.items()}


def send_raw(
    base_url: str, method: str, raw_path: str, headers: Mapping[str, str], body: bytes = b""
) -> tuple[int, str]:
    """The request sent with its path byte for byte (an HTTP library would normalise ``..`` away)."""
    parts = urlsplit(base_url)
    assert parts.hostname is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        connection.request(method, raw_path, body=body, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


# ------------------------------------------------------------------ the loyalty REST API


def test_a_captured_loyalty_request_cannot_be_replayed_for_another_customer(
    cloud: LocalCloud, appsync: Credentials
) -> None:
    captured = requests.Request("GET", loyalty_url(cloud, str(uuid.uuid4())), auth=sigv4(appsync)).prepare()
    captured.url = loyalty_url(cloud, str(uuid.uuid4()))
    before = loyalty_reads(cloud)

    with requests.Session() as session:
        response = session.send(captured, timeout=TIMEOUT)

    assert response.status_code == 403, response.text
    assert loyalty_reads(cloud) == before


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-6), timedelta(minutes=6)], ids=["6 minutes old", "6 minutes ahead"]
)
def test_a_loyalty_request_signed_outside_five_minutes_is_refused(
    cloud: LocalCloud, appsync: Credentials, offset: timedelta
) -> None:
    before = loyalty_reads(cloud)

    response = requests.get(
        loyalty_url(cloud, str(uuid.uuid4())),
        auth=SignedAt(appsync, "execute-api", datetime.now(UTC) + offset),
        timeout=TIMEOUT,
    )

    assert response.status_code == 403, response.text
    assert loyalty_reads(cloud) == before


def test_a_session_token_cannot_be_dropped_or_swapped_on_the_loyalty_api(
    cloud: LocalCloud, appsync: Credentials
) -> None:
    another_session = cloud.role_credentials(APPSYNC_ROLE)
    url = loyalty_url(cloud, str(uuid.uuid4()))
    without_token = Credentials(appsync.access_key_id, appsync.secret_access_key, None)
    swapped = Credentials(appsync.access_key_id, appsync.secret_access_key, another_session.session_token)
    before = loyalty_reads(cloud)

    for credentials in (without_token, swapped):
        response = requests.get(url, auth=sigv4(credentials), timeout=TIMEOUT)
        assert response.status_code == 403, response.text
    assert loyalty_reads(cloud) == before


SPELLINGS = [
    "/{stage}/loyalty/../loyalty/{customer}/get",
    "/{stage}/./loyalty/{customer}/get",
    "//{stage}/loyalty/{customer}/get",
    "/{stage}//loyalty/{customer}//get",
    "/{stage}/loyalty/{customer}/get/",
    "/{stage}/loyalty%2F{customer}%2Fget",
    "/{stage}/loyalty/{customer}%2Fget",
    "/{stage}/%6Coyalty/{customer}/get",
    "/{stage}/LOYALTY/{customer}/GET",
    "/{stage}/Loyalty/{customer}/get",
    "/{stage_upper}/loyalty/{customer}/get",
    "/{stage}/loyalty/{customer}/get;jsessionid=1",
    "/{stage}/loyalty/{customer}/get%00",
    "/{stage}/loyalty/{customer}/history/../get",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_no_spelling_of_the_path_carries_an_outsider_past_the_deny(
    cloud: LocalCloud, outsider: Credentials, spelling: str
) -> None:
    assert cloud.endpoints.loyalty_api is not None
    base, stage = cloud.endpoints.loyalty_api.rsplit("/", 1)
    path = spelling.format(stage=stage, stage_upper=stage.upper(), customer=uuid.uuid4())
    headers = botocore_signed(outsider, f"{base}{path}")
    before = loyalty_reads(cloud)

    status, body = send_raw(base, "GET", path, headers)

    assert status in {400, 403, 404}, body
    assert loyalty_reads(cloud) == before


@pytest.mark.parametrize(
    "spelling",
    [
        "/{stage}/loyalty/{customer}/get/../history",
        "/{stage}/loyalty/{customer}/history",
        "/{stage}/loyalty/{customer}/get/..%2Fhistory",
        "/{stage}/loyalty/{customer}%2Fhistory",
        "/prod/loyalty/{customer}/get",
    ],
)
def test_the_appsync_role_reaches_no_other_route_by_another_spelling(
    cloud: LocalCloud, appsync: Credentials, spelling: str
) -> None:
    """Allowed GET /loyalty/*/get only: a path aimed at any other route or stage gets nothing."""
    assert cloud.endpoints.loyalty_api is not None
    base, stage = cloud.endpoints.loyalty_api.rsplit("/", 1)
    path = spelling.format(stage=stage, customer=uuid.uuid4())
    headers = botocore_signed(appsync, f"{base}{path}")
    before = loyalty_reads(cloud)

    status, body = send_raw(base, "GET", path, headers)

    assert status in {400, 403, 404}, body
    assert loyalty_reads(cloud) == before


# ------------------------------------------------------------------ the AWS endpoint


def flight_item(cloud: LocalCloud, flight_id: str) -> dict[str, Any]:
    return {
        "TableName": outputs(cloud)["FlightTableName"],
        "Item": {"id": {"S": flight_id}, "price": {"N": "1"}},
    }


def flight_exists(cloud: LocalCloud, flight_id: str) -> bool:
    return "Item" in cloud.client("dynamodb").get_item(
        TableName=outputs(cloud)["FlightTableName"], Key={"id": {"S": flight_id}}
    )


def captured_dynamodb_request(
    cloud: LocalCloud, operation: str, body: dict[str, Any]
) -> requests.PreparedRequest:
    """An administrator's DynamoDB request, signed and captured on its way (not sent)."""
    return requests.Request(
        "POST",
        cloud.endpoints.aws,
        data=json.dumps(body),
        headers={"X-Amz-Target": f"DynamoDB_20120810.{operation}", "Content-Type": JSON_1_0},
        auth=sigv4(cloud.admin_credentials, "dynamodb"),
    ).prepare()


def replay(request: requests.PreparedRequest) -> requests.Response:
    with requests.Session() as session:
        return session.send(request, timeout=TIMEOUT)


def test_a_captured_request_cannot_carry_another_body(cloud: LocalCloud) -> None:
    signed_for, smuggled = (f"REPLAY-{uuid.uuid4().hex[:8]}" for _ in range(2))
    captured = captured_dynamodb_request(cloud, "PutItem", flight_item(cloud, signed_for))
    captured.body = json.dumps(flight_item(cloud, smuggled)).encode()
    captured.headers["Content-Length"] = str(len(captured.body))

    response = replay(captured)

    assert response.status_code == 403, response.text
    assert not flight_exists(cloud, smuggled)
    assert not flight_exists(cloud, signed_for)


def test_a_captured_read_cannot_be_replayed_as_a_delete(cloud: LocalCloud) -> None:
    flight_id = f"KEEP-{uuid.uuid4().hex[:8]}"
    cloud.client("dynamodb").put_item(**flight_item(cloud, flight_id))
    key = {"TableName": outputs(cloud)["FlightTableName"], "Key": {"id": {"S": flight_id}}}
    captured = captured_dynamodb_request(cloud, "GetItem", key)
    captured.headers["X-Amz-Target"] = "DynamoDB_20120810.DeleteItem"

    response = replay(captured)

    assert response.status_code == 403, response.text
    assert flight_exists(cloud, flight_id)


def test_a_captured_request_cannot_gain_an_unsigned_query_parameter(cloud: LocalCloud) -> None:
    flight_id = f"KEEP-{uuid.uuid4().hex[:8]}"
    cloud.client("dynamodb").put_item(**flight_item(cloud, flight_id))
    key = {"TableName": outputs(cloud)["FlightTableName"], "Key": {"id": {"S": flight_id}}}
    captured = captured_dynamodb_request(cloud, "GetItem", key)
    captured.url = f"{captured.url}?Action=DeleteItem"

    response = replay(captured)

    assert response.status_code == 403, response.text
    assert flight_exists(cloud, flight_id)


def test_a_captured_invocation_cannot_be_sent_to_another_function(cloud: LocalCloud) -> None:
    """The administrator invokes GetLoyalty; the attacker re-aims the captured request at IngestLoyalty."""
    assert cloud.stack is not None
    reader = cloud.stack.physical_id("GetLoyaltyFunction")
    writer = cloud.stack.physical_id("IngestLoyaltyFunction")
    captured = requests.Request(
        "POST",
        f"{cloud.endpoints.aws}/2015-03-31/functions/{reader}/invocations",
        data=b"{}",
        auth=sigv4(cloud.admin_credentials, "lambda"),
    ).prepare()
    captured.url = str(captured.url).replace(reader, writer)
    records = len(cloud.enforcement.records)

    response = replay(captured)

    assert response.status_code == 403, response.text
    assert not [r for r in cloud.enforcement.records[records:] if r.action == "lambda:InvokeFunction"]


def test_a_session_token_cannot_be_dropped_or_swapped_on_the_aws_endpoint(cloud: LocalCloud) -> None:
    _, session = create_principal_with_session(cloud)
    other = cloud.role_credentials(APPSYNC_ROLE)
    for credentials in (
        Credentials(session.access_key_id, session.secret_access_key, None),
        Credentials(session.access_key_id, session.secret_access_key, other.session_token),
    ):
        flight_id = f"TOKEN-{uuid.uuid4().hex[:8]}"
        response = requests.post(
            cloud.endpoints.aws,
            data=json.dumps(flight_item(cloud, flight_id)),
            headers={"X-Amz-Target": "DynamoDB_20120810.PutItem", "Content-Type": JSON_1_0},
            auth=sigv4(credentials, "dynamodb"),
            timeout=TIMEOUT,
        )
        assert response.status_code == 403, response.text
        assert not flight_exists(cloud, flight_id)


def create_principal_with_session(cloud: LocalCloud) -> tuple[str, Credentials]:
    name = f"writer-{uuid.uuid4().hex[:6]}"
    return name, create_principal(cloud, name, ["dynamodb:PutItem"])
