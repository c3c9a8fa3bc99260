"""Who can call the loyalty REST API, live on the local API Gateway: exactly one principal, on exactly
one route. Every role of the stack is tried, and outsiders that the archived sample would have let in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from moto.sts.models import sts_backends
from requests_aws4auth import AWS4Auth

from tests.e2e.conftest import create_principal, signed
from tests.support.audit import matrix, stack_policies
from tests.support.local_cloud import ACCOUNT_ID, REGION, Credentials, LocalCloud

pytestmark = pytest.mark.local_cloud
TIMEOUT = 30
ALLOWED_ROLE = "LoyaltyDataSourceRole"


def stack_roles(cloud: LocalCloud) -> list[str]:
    assert cloud.stack is not None
    return sorted(resource.logical_id for resource in cloud.stack.of_type("AWS::IAM::Role"))


@pytest.fixture(scope="module")
def principals(cloud: LocalCloud) -> dict[str, Credentials]:
    """Every role of the stack, plus over-granted principals of the same account."""
    found = {logical_id: cloud.role_credentials(logical_id) for logical_id in stack_roles(cloud)}
    found["outsider role with execute-api:* on *"] = create_principal(
        cloud, f"broad-role-{uuid.uuid4().hex[:6]}", ["execute-api:*"]
    )
    found["outsider user with execute-api:Invoke on *"] = create_principal(
        cloud, f"broad-user-{uuid.uuid4().hex[:6]}", ["execute-api:Invoke"], user=True
    )
    found["administrator (Action * on *)"] = cloud.admin_credentials
    return found


def call(cloud: LocalCloud, method: str, path: str, **options: Any) -> requests.Response:
    base = cloud.endpoints.loyalty_api
    assert base is not None
    return requests.request(method, f"{base}{path}", timeout=TIMEOUT, **options)


ROUTES = [
    ("GET", "/loyalty/{customer}/get"),
    ("POST", "/loyalty/{customer}/get"),
    ("GET", "/loyalty/{customer}/history"),
    ("DELETE", "/loyalty/{customer}/get"),
]


def test_exactly_one_principal_on_exactly_one_route(
    cloud: LocalCloud, principals: dict[str, Credentials]
) -> None:
    customer = str(uuid.uuid4())
    matrix = {
        (name, method, path): call(
            cloud, method, path.format(customer=customer), auth=signed(credentials)
        ).status_code
        for name, credentials in principals.items()
        for method, path in ROUTES
    }
    allowed = {cell for cell, status in matrix.items() if status == 200}

    assert allowed == {(ALLOWED_ROLE, "GET", "/loyalty/{customer}/get")}, matrix
    assert all(status == 403 for cell, status in matrix.items() if cell not in allowed), matrix
    assert len(principals) >= len(stack_roles(cloud)) + 3


def test_another_stage_is_refused_even_for_the_appsync_role(
    cloud: LocalCloud, principals: dict[str, Credentials]
) -> None:
    base = cloud.endpoints.loyalty_api
    assert base is not None
    other_stage = base.rsplit("/", 1)[0] + "/prod"
    response = requests.get(
        f"{other_stage}/loyalty/{uuid.uuid4()}/get", auth=signed(principals[ALLOWED_ROLE]), timeout=TIMEOUT
    )
    assert response.status_code == 403


def test_the_over_granted_principals_meet_the_explicit_deny(
    cloud: LocalCloud, principals: dict[str, Credentials]
) -> None:
    for name in ("outsider role with execute-api:* on *", "outsider user with execute-api:Invoke on *"):
        response = call(cloud, "GET", f"/loyalty/{uuid.uuid4()}/get", auth=signed(principals[name]))
        assert response.status_code == 403
        assert response.json()["message"].endswith("with an explicit deny"), name


def test_the_customer_token_is_not_a_signature(cloud: LocalCloud) -> None:
    customer = cloud.create_customer(f"matrix-{uuid.uuid4().hex[:8]}@example.com")
    response = call(
        cloud, "GET", f"/loyalty/{customer.sub}/get", headers={"Authorization": customer.id_token}
    )
    assert response.status_code == 403


def test_unsigned_tampered_expired_and_skewed_requests_are_refused(
    cloud: LocalCloud, principals: dict[str, Credentials]
) -> None:
    appsync = principals[ALLOWED_ROLE]
    path = f"/loyalty/{uuid.uuid4()}/get"
    assert call(cloud, "GET", path).status_code == 403

    request = requests.Request("GET", f"{cloud.endpoints.loyalty_api}{path}", auth=signed(appsync)).prepare()
    request.headers["Authorization"] = str(request.headers["Authorization"])[:-6] + "abcdef"
    with requests.Session() as session:
        assert session.send(request, timeout=TIMEOUT).status_code == 403

    request = requests.Request("GET", f"{cloud.endpoints.loyalty_api}{path}", auth=signed(appsync)).prepare()
    request.url = str(request.url).replace("/get", "/get/")  # the signed path no longer matches
    with requests.Session() as session:
        assert session.send(request, timeout=TIMEOUT).status_code == 403

    stale = AWS4Auth(
        appsync.access_key_id,
        appsync.secret_access_key,
        REGION,
        "execute-api",
        session_token=appsync.session_token,
        date=(datetime.now(UTC) - timedelta(minutes=6)).strftime("%Y%m%d"),
    )
    stale_response = call(
        cloud,
        "GET",
        path,
        auth=stale,
        headers={"X-Amz-Date": (datetime.now(UTC) - timedelta(minutes=6)).strftime("%Y%m%dT%H%M%SZ")},
    )
    assert stale_response.status_code == 403

    no_token = Credentials(appsync.access_key_id, appsync.secret_access_key, None)
    assert call(cloud, "GET", path, auth=signed(no_token)).status_code == 403


def test_expired_credentials_are_refused(cloud: LocalCloud) -> None:
    credentials = cloud.role_credentials(ALLOWED_ROLE)
    path = f"/loyalty/{uuid.uuid4()}/get"
    assert call(cloud, "GET", path, auth=signed(credentials)).status_code == 200
    for session in sts_backends[ACCOUNT_ID]["aws"].assumed_roles:
        if session.access_key_id == credentials.access_key_id:
            session.expiration = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)

    response = call(cloud, "GET", path, auth=signed(credentials))

    assert response.status_code == 403
    assert "expired" in response.json()["message"]


def test_the_offline_matrix_holds_live(cloud: LocalCloud) -> None:
    """Every execute-api and StartExecution cell that secaudit.matrix decides from the template, tried
    against the running local cloud: only the intended cells are allowed, live as offline."""
    offline = stack_policies(stack_name=cloud_stack_name(cloud))
    expected = {
        (ALLOWED_ROLE, "execute-api:Invoke", "GET dev/loyalty/{customer}/get"),
        ("BookingDataSourceRole", "states:StartExecution", "BookingStateMachine"),
        # The state machine has no resource policy: an over-granted principal of the account starts it.
        (matrix.OUTSIDER_ROLE, "states:StartExecution", "BookingStateMachine"),
        (matrix.OUTSIDER_USER, "states:StartExecution", "BookingStateMachine"),
    }
    assert cloud.stack is not None
    base = (cloud.endpoints.loyalty_api or "").rsplit("/", 1)[0]
    outsiders = {
        matrix.OUTSIDER_ROLE: create_principal(cloud, matrix.OUTSIDER_ROLE, ["execute-api:*", "states:*"]),
        matrix.OUTSIDER_USER: create_principal(
            cloud, matrix.OUTSIDER_USER, ["execute-api:*", "states:*"], user=True
        ),
    }
    callers: dict[str, Credentials | None] = {
        **{
            caller.name: cloud.role_credentials(caller.name)
            for caller in matrix.callers(offline)
            if caller.name in offline.roles
        },
        **outsiders,
        matrix.ANONYMOUS: None,
    }
    allowed: set[tuple[str, str, str]] = set()
    for name, credentials in callers.items():
        for _, label in matrix.api_targets(offline):
            method, route = label.split(" ", 1)
            url = f"{base}/{route.format(customer=matrix.SAMPLE_CUSTOMER)}"
            auth = signed(credentials) if credentials else None
            if requests.request(method, url, auth=auth, timeout=TIMEOUT).status_code == 200:
                allowed.add((name, "execute-api:Invoke", label))
        if credentials is not None and _may_start_the_saga(cloud, credentials):
            allowed.add((name, "states:StartExecution", "BookingStateMachine"))

    assert allowed == expected


def cloud_stack_name(cloud: LocalCloud) -> str:
    assert cloud.stack is not None
    return cloud.stack.name


def _may_start_the_saga(cloud: LocalCloud, credentials: Credentials) -> bool:
    assert cloud.stack is not None
    try:
        cloud.client("stepfunctions", credentials).start_execution(
            stateMachineArn=cloud.stack.outputs["BookingStateMachineArn"],
            name=f"matrix-{uuid.uuid4()}",
            input="{}",  # not a booking: the saga fails at its first state, having changed nothing
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "AccessDeniedException":
            return False
        raise
    return True
