"""The local cloud's sessions share loaded service models; its clients are reused per role session."""

from __future__ import annotations

from typing import Any

from localcloud.identity import Credentials
from localcloud.sessions import ClientsByCredentials, session_of

ALICE = Credentials("ASIAALICE", "secret-a", "token-a")
ALICE_LATER = Credentials("ASIAALICE2", "secret-a2", "token-a2")
BOB = Credentials("ASIABOB", "secret-b", None)


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
    assert clients.client("dynamodb", "eu-west-1", ALICE) is not first
    assert clients.client("sqs", "us-east-1", ALICE) is not first
    assert made == [
        ("sqs", "eu-west-1", "ASIAALICE"),
        ("sqs", "eu-west-1", "ASIAALICE2"),
        ("dynamodb", "eu-west-1", "ASIAALICE"),
        ("sqs", "us-east-1", "ASIAALICE"),
    ]
