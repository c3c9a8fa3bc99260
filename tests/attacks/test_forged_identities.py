"""Identities forged for the GraphQL API: a customer's ID token made up, rewritten, expired, unsigned or
from elsewhere, to read another customer's bookings and loyalty or book in their name. Only tokens
signed by the stack's own user pool, with its key generated when the local cloud started, get in."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from moto.cognitoidp.models import cognitoidp_backends
from moto.utilities.utils import load_resource

from tests.support.local_cloud import (
    ACCOUNT_ID,
    BOOK_MUTATION,
    BOOKING_QUERY,
    REGION,
    Customer,
    LocalCloud,
    book_variables,
)

pytestmark = pytest.mark.local_cloud

TIMEOUT = 30
ANY_CUSTOMERS_LOYALTY = "query($customer: ID) { getLoyalty(customerId: $customer) { points } }"


def outputs(cloud: LocalCloud) -> dict[str, str]:
    assert cloud.stack is not None
    return cloud.stack.outputs


def ask(
    cloud: LocalCloud, token: str, query: str, variables: dict[str, Any] | None = None
) -> requests.Response:
    assert cloud.endpoints.graphql is not None
    return requests.post(
        cloud.endpoints.graphql,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": token},
        timeout=TIMEOUT,
    )


def claims_of(token: str) -> dict[str, Any]:
    """A token's payload, read without checking anything (as anyone can)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def encoded(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def as_victim(claims: dict[str, Any], victim: Customer) -> dict[str, Any]:
    """The attacker's own claims, turned into the victim's, in the Admin group, valid for an hour."""
    return {
        **claims,
        "sub": victim.sub,
        "cognito:username": victim.sub,
        "email": victim.email,
        "cognito:groups": ["Admin"],
        "exp": int(time.time()) + 3600,
    }


def motos_published_key() -> RSAKey:
    """The RSA private key that ships inside the moto package: anyone who installs moto has it."""
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


@pytest.fixture(scope="module")
def victim(cloud: LocalCloud) -> Customer:
    return cloud.create_customer(f"victim-{uuid.uuid4().hex[:6]}@example.com")


@pytest.fixture(scope="module")
def attacker(cloud: LocalCloud) -> Customer:
    return cloud.create_customer(f"attacker-{uuid.uuid4().hex[:6]}@example.com")


@pytest.fixture(scope="module")
def victims_booking(cloud: LocalCloud, victim: Customer) -> str:
    """A confirmed booking of the victim's, which the victim can read (proven here)."""
    booking_id = str(uuid.uuid4())
    cloud.client("dynamodb").put_item(
        TableName=outputs(cloud)["BookingTableName"],
        Item={
            "id": {"S": booking_id},
            "customerId": {"S": victim.sub},
            "flightId": {"S": "SA101-2030-01-08"},
            "status": {"S": "CONFIRMED"},
            "amount": {"N": "12900"},
            "currency": {"S": "EUR"},
            "createdAt": {"S": "2030-01-01T10:00:00+00:00"},
            "bookingReference": {"S": "Q7K2PX"},
            "confirmedAt": {"S": "2030-01-01T10:00:05+00:00"},
        },
    )
    own = ask(cloud, victim.id_token, BOOKING_QUERY, {"id": booking_id})
    assert own.json()["data"]["getBooking"]["id"] == booking_id, own.text
    return booking_id


def executions_of_the_saga(cloud: LocalCloud) -> int:
    executions = cloud.client("stepfunctions").list_executions(
        stateMachineArn=outputs(cloud)["BookingStateMachineArn"]
    )["executions"]
    return len(executions)


def assert_refused(
    response: requests.Response, message: str = "You are not authorized to make this call."
) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"errors": [{"errorType": "UnauthorizedException", "message": message}]}


def test_a_token_signed_with_the_key_in_motos_package_is_refused(
    cloud: LocalCloud, attacker: Customer, victim: Customer, victims_booking: str
) -> None:
    """The attacker signs the victim's identity, in the Admin group, with the key moto publishes."""
    header = {"kid": "dummy", "alg": "RS256"}
    forged = jwt.encode(header, as_victim(claims_of(attacker.id_token), victim), motos_published_key())
    sagas = executions_of_the_saga(cloud)

    assert_refused(ask(cloud, forged, BOOKING_QUERY, {"id": victims_booking}))
    assert_refused(ask(cloud, forged, ANY_CUSTOMERS_LOYALTY, {"customer": victim.sub}))
    assert_refused(ask(cloud, forged, BOOK_MUTATION, book_variables("SA101-2030-01-08", "tok_visa")))
    assert executions_of_the_saga(cloud) == sagas


def test_the_published_keys_are_each_pools_own_and_not_motos(cloud: LocalCloud, victim: Customer) -> None:
    def published(pool_id: str) -> dict[str, Any]:
        response = requests.get(f"{cloud.endpoints.aws}/{pool_id}/.well-known/jwks.json", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        [key] = response.json()["keys"]
        assert "d" not in key  # the public half only
        return dict(key)

    stack_pool = published(outputs(cloud)["UserPoolId"])
    other_pool = published(
        cloud.client("cognito-idp").create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}")["UserPool"][
            "Id"
        ]
    )

    assert stack_pool["n"] != motos_published_key().as_dict(private=False)["n"]
    assert other_pool["n"] != stack_pool["n"]
    assert jwt.decode(victim.id_token, RSAKey.import_key(stack_pool)).claims["sub"] == victim.sub


def test_a_real_token_with_a_rewritten_payload_is_refused(
    cloud: LocalCloud, attacker: Customer, victim: Customer, victims_booking: str
) -> None:
    header, _, signature = attacker.id_token.split(".")
    rewritten = ".".join((header, encoded(as_victim(claims_of(attacker.id_token), victim)), signature))

    assert_refused(ask(cloud, rewritten, BOOKING_QUERY, {"id": victims_booking}))
    assert_refused(ask(cloud, rewritten, ANY_CUSTOMERS_LOYALTY, {"customer": victim.sub}))


def test_an_unsigned_token_is_refused(
    cloud: LocalCloud, attacker: Customer, victim: Customer, victims_booking: str
) -> None:
    unsigned = ".".join(
        (encoded({"alg": "none", "typ": "JWT"}), encoded(as_victim(claims_of(attacker.id_token), victim)), "")
    )

    assert_refused(ask(cloud, unsigned, BOOKING_QUERY, {"id": victims_booking}))


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(
    cloud: LocalCloud, attacker: Customer, victim: Customer, victims_booking: str
) -> None:
    """Key confusion: the pool's public key (which anyone can fetch) used as an HS256 secret."""
    published = requests.get(
        f"{cloud.endpoints.aws}/{outputs(cloud)['UserPoolId']}/.well-known/jwks.json", timeout=TIMEOUT
    ).text
    forged = jwt.encode(
        {"alg": "HS256", "kid": "dummy"},
        as_victim(claims_of(attacker.id_token), victim),
        OctKey.import_key(published.encode()),
        algorithms=["HS256"],
    )

    assert_refused(ask(cloud, forged, BOOKING_QUERY, {"id": victims_booking}))


def test_an_expired_token_is_refused_even_when_properly_signed(
    cloud: LocalCloud, victim: Customer, victims_booking: str
) -> None:
    """Signed with the pool's own key (read from the local cloud's memory: no attacker has it), but
    expired a minute ago: a token captured yesterday stays useless."""
    pool = cognitoidp_backends[ACCOUNT_ID][REGION].user_pools[outputs(cloud)["UserPoolId"]]
    expired = jwt.encode(
        {"kid": "dummy", "alg": "RS256"},
        {**claims_of(victim.id_token), "exp": int(time.time()) - 60},
        pool.json_web_key,
    )

    assert_refused(ask(cloud, expired, BOOKING_QUERY, {"id": victims_booking}), "Token has expired.")


def test_a_token_from_another_user_pool_is_refused(cloud: LocalCloud, victims_booking: str) -> None:
    """The attacker runs a user pool of their own (in the same account), with an Admin group of its
    own, and signs in there."""
    cognito = cloud.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"attackers-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="attackers", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="mallory", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="mallory", Password="Mallory-password-1", Permanent=True
    )
    cognito.create_group(UserPoolId=pool, GroupName="Admin")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="mallory", GroupName="Admin")
    token = cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory", "PASSWORD": "Mallory-password-1"},
    )["AuthenticationResult"]["IdToken"]

    assert_refused(ask(cloud, token, BOOKING_QUERY, {"id": victims_booking}))
