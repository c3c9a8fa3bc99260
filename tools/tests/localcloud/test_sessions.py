"""The local cloud's sessions share loaded service models; its clients are reused per credentials."""

from __future__ import annotations

from typing import Any

from localcloud.identity import Credentials
from localcloud.sessions import ClientsByCredentials, client_of, session_of

ALICE = Credentials("ASIAALICE", "secret-a", "token-a")
ALICE_LATER = Credentials("ASIAALICE2", "secret-a2", "token-a2")
BOB = Credentials("ASIABOB", "secret-b", None)
ALICE_WRONG_SECRET = Credentials("ASIAALICE", "guessed", "token-a")


def test_sessions_share_one_loader_and_keep_their_own_credentials() -> None:
    alice, bob = session_of(ALICE, "eu-west-1"), session_of(BOB, "us-east-1")
    assert alice._session.get_component("data_loader") is bob._session.get_component("data_loader")
    alice_keys, bob_keys = alice.get_credentials(), bob.get_credentials()
    assert alice_keys is not None
    assert bob_keys is not None
    assert (alice_keys.access_key, alice_keys.token) == ("ASIAALICE", "token-a")
    assert (bob_keys.access_key, bob_keys.token) == ("ASIABOB", None)
    assert (alice.region_name, bob.region_name) == ("eu-west-1", "us-east-1")


def test_a_client_is_made_once_per_service_region_and_session() -> None:
    made: list[tuple[str, str, str]] = []

    def create(service: str, region: str, credentials: Credentials) -> Any:
        made.append((service, region, credentials.access_key_id))
        return object()

    clients = ClientsByCredentials(create)
    first = clients.client("sqs", "eu-west-1", ALICE)
    assert clients.client("sqs", "eu-west-1", ALICE) is first
    assert clients.client("sqs", "eu-west-1", ALICE_LATER) is not first
    # A client signs with the secret it was made with: a guessed secret must not borrow it.
    assert clients.client("sqs", "eu-west-1", ALICE_WRONG_SECRET) is not first
    assert clients.client("dynamodb", "eu-west-1", ALICE) is not first
    assert clients.client("sqs", "us-east-1", ALICE) is not first
    assert made == [
        ("sqs", "eu-west-1", "ASIAALICE"),
        ("sqs", "eu-west-1", "ASIAALICE2"),
        ("sqs", "eu-west-1", "ASIAALICE"),
        ("dynamodb", "eu-west-1", "ASIAALICE"),
        ("sqs", "us-east-1", "ASIAALICE"),
    ]


def test_clients_from_the_shared_session_keep_their_own_credentials() -> None:
    alice = client_of(ALICE, "sqs", "eu-west-1", endpoint_url="http://127.0.0.1:9")
    bob = client_of(BOB, "sqs", "us-east-1")
    for client, credentials in ((alice, ALICE), (bob, BOB)):
        keys = client._request_signer._credentials
        assert (keys.access_key, keys.secret_key, keys.token) == (
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
        )
    assert (alice.meta.region_name, bob.meta.region_name) == ("eu-west-1", "us-east-1")
    assert alice.meta.endpoint_url == "http://127.0.0.1:9"
