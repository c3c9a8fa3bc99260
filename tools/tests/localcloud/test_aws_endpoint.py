"""The local AWS endpoint's port: the one its predecessor in the process had when that is free.

A state machine's definition names its queues by URL, with the endpoint's port: on the same port a new
cloud's definition is the same text, whose parsed tree the process keeps (ParsedDefinitions)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from localcloud.cloud import LocalCloudError, _AwsEndpoint
from localcloud.enforcement import Enforcement
from localcloud.identity import MotoIdentityDirectory
from stacktools.project import ACCOUNT_ID, REGION


@pytest.fixture
def enforcement() -> Enforcement:
    return Enforcement(MotoIdentityDirectory(ACCOUNT_ID, REGION), account_id=ACCOUNT_ID, region=REGION)


@pytest.fixture
def held_port() -> Iterator[socket.socket]:
    """A port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener


def test_a_new_endpoint_takes_its_predecessors_port(enforcement: Enforcement) -> None:
    first = _AwsEndpoint(0, enforcement)
    first.stop()
    second = _AwsEndpoint(0, enforcement)
    try:
        assert second.url == first.url
    finally:
        second.stop()


def test_a_taken_port_is_left_to_its_holder(enforcement: Enforcement) -> None:
    first = _AwsEndpoint(0, enforcement)
    try:
        second = _AwsEndpoint(0, enforcement)  # while the first still serves
        try:
            assert second.url != first.url
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_port_asked_for_that_is_taken_is_an_error(
    enforcement: Enforcement, held_port: socket.socket
) -> None:
    port = held_port.getsockname()[1]
    with pytest.raises(LocalCloudError, match="choose another port"):
        _AwsEndpoint(port, enforcement)
