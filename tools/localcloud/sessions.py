"""boto3 sessions for the local cloud's own clients, all reading AWS's service models from one loader.

A new boto3 session loads the models of the services it makes clients for again (JSON files of up to
a few megabytes): a DynamoDB client from a new session cost about 210 ms of CPU, from a new session
sharing an already loaded model about 25 ms. The local cloud makes sessions for its deployer, its
administrator and each AppSync data source's role, in every cloud a test run starts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.loaders
import botocore.session

from localcloud.identity import Credentials

_SERVICE_MODELS = botocore.loaders.create_loader()
"""Loaded service models are kept by the loader (per process): it only reads the installed botocore's
data files, so sharing it changes no client's behaviour."""


_SHARED_SESSION: boto3.Session | None = None
_SHARED_SESSION_LOCK = threading.Lock()


def client_of(credentials: Credentials, service: str, region: str, **options: Any) -> Any:
    """A client with these credentials made by the process's one session without credentials of its own.

    For credentials used a few times: making a session costs more than making a client from one (its
    event handlers are registered again), and sessions are not thread-safe, so the making is serialised."""
    global _SHARED_SESSION  # noqa: PLW0603 - made once, on first use
    with _SHARED_SESSION_LOCK:
        if _SHARED_SESSION is None:
            core = botocore.session.get_session()
            core.register_component("data_loader", _SERVICE_MODELS)
            _SHARED_SESSION = boto3.Session(botocore_session=core)
        return _SHARED_SESSION.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            **options,
        )


def session_of(credentials: Credentials, region: str) -> boto3.Session:
    """A boto3 session with these credentials whose clients share the process's loaded service models."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _SERVICE_MODELS)
    return boto3.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        region_name=region,
        botocore_session=core,
    )


class ClientsByCredentials:
    """Clients made by ``create(service, region, credentials)``, kept per service, region and credentials.

    A role's session is cached until shortly before it expires
    (:meth:`MotoIdentityDirectory.role_credentials`), so the calls a service makes as one role reuse
    one client (clients are thread-safe) instead of paying for a new one each time; a new session gets
    a new client, and so does a key given with another secret (a client signs with the one it was made
    with)."""

    _MOST_KEPT = 256

    def __init__(self, create: Callable[[str, str, Credentials], Any]) -> None:
        self._create = create
        self._clients: dict[tuple[str, str, str, str, str | None], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str, credentials: Credentials) -> Any:
        key = (
            service,
            region,
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
        )
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                if len(self._clients) >= self._MOST_KEPT:
                    self._clients.clear()
                found = self._clients[key] = self._create(service, region, credentials)
            return found

    def clear(self) -> None:
        """Forget every client (their credentials' cloud has stopped)."""
        with self._lock:
            self._clients.clear()
