"""SigV4 for hand-made requests, as a client whose clock is wrong (or an attacker replaying an old
signature) would send them."""

from __future__ import annotations

from datetime import datetime

import requests
from requests.auth import AuthBase

from tests.support.local_cloud import Credentials, sigv4

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class SignedAt(AuthBase):
    """SigV4 with ``credentials`` for ``service``, stamped and signed as at ``moment``."""

    def __init__(self, credentials: Credentials, service: str, moment: datetime) -> None:
        self._sign = sigv4(credentials, service)
        self._moment = moment

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        # The signer takes the request's own X-Amz-Date (and derives its key for that day) when it has one.
        request.headers["X-Amz-Date"] = self._moment.strftime(AMZ_DATE_FORMAT)
        signed: requests.PreparedRequest = self._sign(request)
        return signed
