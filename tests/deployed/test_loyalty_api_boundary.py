"""The deployed loyalty API admits the AppSync loyalty data-source role on its one route, and no one else."""

from __future__ import annotations

import uuid

import pytest
import requests
from requests_aws4auth import AWS4Auth

from tests.deployed.conftest import DeployedStack, loyalty_data_source_role_auth, sigv4_auth

pytestmark = pytest.mark.deployed
TIMEOUT = 15


@pytest.fixture(scope="module")
def appsync_role_auth(deployed_stack: DeployedStack) -> AWS4Auth:
    return loyalty_data_source_role_auth(deployed_stack)


@pytest.fixture(scope="module")
def own_auth(deployed_stack: DeployedStack) -> AWS4Auth:
    credentials = deployed_stack.session.get_credentials()
    assert credentials is not None
    frozen = credentials.get_frozen_credentials()
    return sigv4_auth(
        str(frozen.access_key), str(frozen.secret_key), frozen.token, deployed_stack.session.region_name
    )


def _url(stack: DeployedStack, path: str) -> str:
    return stack.output("LoyaltyApiUrl").rstrip("/") + path


def test_the_appsync_role_reads_loyalty(deployed_stack: DeployedStack, appsync_role_auth: AWS4Auth) -> None:
    response = requests.get(
        _url(deployed_stack, f"/loyalty/{uuid.uuid4()}/get"), auth=appsync_role_auth, timeout=TIMEOUT
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"points": 0, "level": "bronze", "remainingPoints": 50_000}


def test_the_appsync_role_gets_a_422_naming_the_parameter_for_a_bad_id(
    deployed_stack: DeployedStack, appsync_role_auth: AWS4Auth
) -> None:
    response = requests.get(
        _url(deployed_stack, "/loyalty/nope/get"), auth=appsync_role_auth, timeout=TIMEOUT
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["path", "customerId"], "type": "value_error"}]


def test_the_test_runner_itself_is_refused(deployed_stack: DeployedStack, own_auth: AWS4Auth) -> None:
    response = requests.get(
        _url(deployed_stack, f"/loyalty/{uuid.uuid4()}/get"), auth=own_auth, timeout=TIMEOUT
    )

    assert response.status_code == 403, response.text


def test_an_unsigned_call_is_refused(deployed_stack: DeployedStack) -> None:
    response = requests.get(_url(deployed_stack, f"/loyalty/{uuid.uuid4()}/get"), timeout=TIMEOUT)

    assert response.status_code == 403


def test_the_appsync_role_is_refused_off_its_route(
    deployed_stack: DeployedStack, appsync_role_auth: AWS4Auth
) -> None:
    response = requests.post(
        _url(deployed_stack, f"/loyalty/{uuid.uuid4()}/get"), auth=appsync_role_auth, timeout=TIMEOUT
    )

    assert response.status_code == 403
