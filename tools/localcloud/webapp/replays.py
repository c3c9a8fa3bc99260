"""Attacks the boundary map replays on request, so that a learner watches each boundary refuse one.

Each replay is a real request from the attacker's side against the running local cloud's own
endpoints - the loyalty REST API, the AWS endpoint, the GraphQL API - and reports what the endpoint
answered. The decisions they cause reach the map like any other (the setup a replay needs, such as
the administrator creating the outsider, shows there too). A replay that is NOT refused says so: on
the map it stays green, which would mean a boundary is open.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import requests
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import RSAKey

from localcloud.cloud import LocalCloud
from localcloud.identity import Credentials
from localcloud.walkthrough import sigv4

HTTP_TIMEOUT_SECONDS = 30
OUTSIDER_USER = "map-outsider"
ANOTHER_CUSTOMERS_LOYALTY = "query($customer: ID) { getLoyalty(customerId: $customer) { points level } }"
"""What only the Admin group may ask: the forged token claims membership."""


@dataclass(frozen=True)
class ReplayOutcome:
    name: str
    refused: bool
    answer: str
    """What the endpoint answered the attacker (status, error type, message)."""

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "refused": self.refused, "answer": self.answer}


@dataclass(frozen=True)
class Replay:
    name: str
    title: str
    attacker: str
    boundary: str
    """What should refuse it."""
    run: Callable[[], ReplayOutcome]

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "attacker": self.attacker, "boundary": self.boundary}


class Replays:
    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud
        self._outsider: Credentials | None = None
        self._lock = threading.Lock()
        self.all = {
            replay.name: replay
            for replay in (
                Replay(
                    "outsider-on-loyalty-api",
                    "An outsider calls the loyalty API",
                    f"the IAM user {OUTSIDER_USER}, granted execute-api:Invoke on every API of the account",
                    "the loyalty API's resource policy: an explicit Deny for every principal but AppSync's "
                    "loyalty data-source role",
                    self._outsider_on_loyalty_api,
                ),
                Replay(
                    "function-role-outside-its-grant",
                    "A stolen function credential writes points",
                    "whoever holds GetLoyalty's temporary credentials (its role may only read loyalty)",
                    "GetLoyaltyFunctionRole's policy: dynamodb:GetItem on the loyalty table, nothing else",
                    self._function_role_outside_its_grant,
                ),
                Replay(
                    "forged-token",
                    "A forged ID token claims to be an airline admin",
                    "a JWT naming the user pool, the app client and the Admin group, signed with the "
                    "attacker's own key",
                    "AppSync verifies each token's signature against the user pool's keys",
                    self._forged_token,
                ),
            )
        }

    def run(self, name: str) -> ReplayOutcome:
        """Raises KeyError for an unknown replay."""
        return self.all[name].run()

    # -------------------------------------------------------------- the attacks

    def _outsider_on_loyalty_api(self) -> ReplayOutcome:
        name = "outsider-on-loyalty-api"
        url = f"{self._endpoint(self._cloud.endpoints.loyalty_api)}/loyalty/{uuid.uuid4()}/get"
        answer = requests.get(url, auth=sigv4(self._outsider_credentials()), timeout=HTTP_TIMEOUT_SECONDS)
        return ReplayOutcome(name, answer.status_code == 403, _described(answer))

    def _outsider_credentials(self) -> Credentials:
        """A user of the account with execute-api:Invoke on everything, created by the administrator once."""
        with self._lock:
            if self._outsider is None:
                iam = self._cloud.client("iam")
                iam.create_user(UserName=OUTSIDER_USER)
                iam.put_user_policy(
                    UserName=OUTSIDER_USER,
                    PolicyName="InvokeEveryApi",
                    PolicyDocument=json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}
                            ],
                        }
                    ),
                )
                key = iam.create_access_key(UserName=OUTSIDER_USER)["AccessKey"]
                self._outsider = Credentials(key["AccessKeyId"], key["SecretAccessKey"], None)
            return self._outsider

    def _function_role_outside_its_grant(self) -> ReplayOutcome:
        name = "function-role-outside-its-grant"
        stack = self._cloud.stack
        assert stack is not None
        # What GetLoyalty's worker holds: the role's temporary credentials, as Lambda obtains them.
        stolen = self._cloud.role_credentials("GetLoyaltyFunctionRole", service="lambda.amazonaws.com")
        try:
            self._cloud.client("dynamodb", stolen).put_item(
                TableName=stack.outputs["LoyaltyTableName"],
                Item={
                    "customerId": {"S": str(uuid.uuid4())},
                    "sk": {"S": "TOTAL"},
                    "points": {"N": "1000000"},
                },
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            return ReplayOutcome(
                name, code == "AccessDeniedException", f"{code}: {error.response['Error']['Message']}"
            )
        return ReplayOutcome(name, False, "the write succeeded: 1,000,000 points credited")

    def _forged_token(self) -> ReplayOutcome:
        name = "forged-token"
        stack = self._cloud.stack
        assert stack is not None
        pool, client = stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]
        region = pool.split("_", 1)[0]
        now = int(time.time())
        claims = {
            "iss": f"https://cognito-idp.{region}.amazonaws.com/{pool}",
            "aud": client,
            "token_use": "id",
            "sub": str(uuid.uuid4()),
            "cognito:username": "attacker",
            "cognito:groups": ["Admin"],
            "iat": now,
            "exp": now + 3600,
        }
        header = {"alg": "RS256", "kid": self._published_key_id(pool)}
        forged = jwt.encode(header, claims, RSAKey.generate_key(2048))
        answer = requests.post(
            self._endpoint(self._cloud.endpoints.graphql),
            json={"query": ANOTHER_CUSTOMERS_LOYALTY, "variables": {"customer": str(uuid.uuid4())}},
            headers={"Authorization": forged},
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        return ReplayOutcome(name, answer.status_code == 401, _described(answer))

    def _published_key_id(self, pool: str) -> str:
        """The key id the user pool publishes (anyone may read it): the forgery names the real key."""
        try:
            keys = requests.get(
                f"{self._cloud.endpoints.aws}/{pool}/.well-known/jwks.json", timeout=HTTP_TIMEOUT_SECONDS
            ).json()["keys"]
            return str(keys[0]["kid"])
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
            return "forged-key"

    @staticmethod
    def _endpoint(url: str | None) -> str:
        if not url:
            raise RuntimeError("the local cloud is not serving this endpoint")
        return url


def _described(answer: requests.Response) -> str:
    error_type = answer.headers.get("x-amzn-ErrorType", "")
    try:
        document = answer.json()
    except ValueError:
        document = None
    if isinstance(document, dict):
        errors = document.get("errors")
        message = errors[0].get("message") if isinstance(errors, list) and errors else document.get("message")
    else:
        message = answer.text[:200]
    return " ".join(part for part in (f"HTTP {answer.status_code}", error_type, str(message or "")) if part)
