"""The boundary map's machinery: decisions placed on the stack, streamed to watchers with nothing secret
in them, and attack replays that only the map's own page can start. A small stack stands in for the
deployed one; the map's site is served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from localcloud.apigateway.access_log import AccessLogRecord
from localcloud.appsync.server import GraphQLDecision
from localcloud.deploy import DeployedResource, DeployedStack
from localcloud.enforcement import AccessRecord
from localcloud.serving import BackgroundServer
from localcloud.webapp.boundary_map import TOKEN_HEADER, BoundaryMapSite
from localcloud.webapp.decisions import Decision, DecisionFeed, redact
from localcloud.webapp.replays import Replay, ReplayOutcome
from localcloud.webapp.site import BuiltFiles, Origin, SecuredSite
from localcloud.webapp.stack_map import ADMINISTRATOR, CUSTOMERS, OUTSIDERS, StackMap
from secaudit.audit import Grant, RoleAudit
from stacktools.intrinsics import Resolver
from stacktools.project import ACCOUNT_ID as ACCOUNT
from stacktools.project import REGION

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/stack-ReaderRole"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/stack-Table"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:stack-Reader"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/stack-ReaderRole/stack-Reader"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def small_stack() -> DeployedStack:
    """A function acting with its role, reading one table."""
    resolver = Resolver(ACCOUNT, REGION, "stack")
    resolver.attributes.update(
        {
            ("ReaderRole", "Arn"): ROLE_ARN,
            ("Table", "Arn"): TABLE_ARN,
            ("Reader", "Arn"): FUNCTION_ARN,
        }
    )
    resources = [
        DeployedResource("ReaderRole", "AWS::IAM::Role", "stack-ReaderRole", {}),
        DeployedResource("Reader", "AWS::Lambda::Function", "stack-Reader", {"Role": ROLE_ARN}),
        DeployedResource("Table", "AWS::DynamoDB::Table", "stack-Table", {}),
    ]
    return DeployedStack(
        "stack", ACCOUNT, REGION, {resource.logical_id: resource for resource in resources}, {}, resolver
    )


def small_map() -> StackMap:
    grants = RoleAudit("ReaderRole", ("Reader",))
    grants.granted_unused.append(Grant("dynamodb:GetItem", "${Table.Arn}", "inline:Read"))
    grants.granted_unused.append(Grant("logs:PutLogEvents", "*", "managed:AWSLambdaBasicExecutionRole"))
    return StackMap(small_stack(), [grants])


def access(
    principal: str, action: str, resource: str, *, allowed: bool, reasons: tuple[str, ...] = ()
) -> AccessRecord:
    return AccessRecord(
        NOW, principal.split("/", maxsplit=1)[0], principal, action, resource, allowed, reasons
    )


# ---------------------------------------------------------------- the stack on the map


def test_a_role_belongs_to_the_function_acting_with_it_and_grants_are_edges() -> None:
    stack_map = small_map()

    assert stack_map.nodes["Reader"].role == "ReaderRole"
    assert "ReaderRole" not in stack_map.nodes  # a role is drawn with what acts with it
    assert [
        (edge.source, edge.target, edge.kind, edge.label) for edge in stack_map.edges if edge.kind == "grant"
    ] == [("Reader", "Table", "grant", "dynamodb:GetItem")]


def test_decisions_are_placed_by_principal_and_resource() -> None:
    stack_map = small_map()

    assert stack_map.principal_node(SESSION_ARN) == "Reader"
    assert stack_map.principal_node(ROLE_ARN) == "Reader"
    assert stack_map.principal_node("user-pool:0b1c") == CUSTOMERS
    assert stack_map.principal_node(f"arn:aws:iam::{ACCOUNT}:user/localcloud-admin") == ADMINISTRATOR
    assert stack_map.principal_node(f"arn:aws:iam::{ACCOUNT}:user/someone") == OUTSIDERS
    assert stack_map.principal_node("unauthenticated") == OUTSIDERS
    assert stack_map.resource_node(f"{TABLE_ARN}/index/byCustomer") == "Table"
    assert stack_map.resource_node(f"{TABLE_ARN}-other") is None
    assert stack_map.resource_node(ROLE_ARN) == "Reader"  # sts:AssumeRole on the function's role


# ---------------------------------------------------------------- the feed


def test_each_deciders_record_becomes_a_decision_on_the_map() -> None:
    feed = DecisionFeed(small_map())

    feed.on_access(
        access(SESSION_ARN, "dynamodb:GetItem", TABLE_ARN, allowed=True, reasons=("allowed by 'Read'",))
    )
    feed.on_api_request(
        AccessLogRecord(
            "r1",
            "x1",
            NOW,
            "GET",
            "/dev/x",
            "/x",
            403,
            10,
            {"userArn": None},
            reason="explicitly denied by 'Deny'",
        )
    )
    feed.on_graphql(GraphQLDecision(NOW, "user-pool:0b1c2d3e-aaaa", "arn:aws:appsync:x:y:apis/z", True, "ok"))

    assert [
        (d.source, d.principal_label, d.action, d.allowed, d.from_node, d.to_node, d.reason)
        for d in feed.recent()
    ] == [
        ("AWS endpoint", "ReaderRole", "dynamodb:GetItem", True, "Reader", "Table", "allowed by 'Read'"),
        (
            "API Gateway",
            "anonymous",
            "execute-api:Invoke",
            False,
            OUTSIDERS,
            None,
            "explicitly denied by 'Deny'",
        ),
        ("AppSync", "customer 0b1c2d3e", "appsync:GraphQL", True, CUSTOMERS, None, "ok"),
    ]
    assert [d.id for d in feed.recent()] == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("no such access key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        (
            "Credential=ASIAXYZXYZXYZXYZXYZ1/20300101/eu-west-1/execute-api/aws4_request",
            "ASIAXYZXYZXYZXYZXYZ1",
        ),
        ("Signature=3f2a9c0d1e", "3f2a9c0d1e"),
        ("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "eyJhbGciOiJSUzI1NiJ9"),
        ("paid with tok_visa", "tok_visa"),
        ("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("session " + "FQoGZXIvYXdzE" * 20, "FQoGZXIvYXdzE" * 20),
    ],
)
def test_nothing_secret_leaves_in_a_decision(text: str, hidden: str) -> None:
    feed = DecisionFeed(small_map())

    feed.on_access(access(SESSION_ARN, "dynamodb:GetItem", TABLE_ARN, allowed=False, reasons=(text,)))

    assert hidden not in redact(text)
    assert hidden not in json.dumps(feed.recent()[0].to_json())


def test_arns_and_ids_are_left_readable() -> None:
    field_arn = (
        "arn:aws:appsync:eu-west-1:123456789012:apis/iinxehoyk5aizduwjr6qrk9rjw/types/Query/fields/getLoyalty"
    )
    pool = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_19a13a96ccd04a1097f12c0d55661f9c"

    assert redact(field_arn) == field_arn
    assert redact(pool) == pool


def test_a_failing_listener_never_fails_the_request() -> None:
    class Broken(StackMap):
        def principal_node(self, principal: str) -> str:
            raise RuntimeError("broken")

    broken = Broken(small_stack(), [])
    feed = DecisionFeed(broken)

    feed.on_access(access(SESSION_ARN, "dynamodb:GetItem", TABLE_ARN, allowed=True))  # no exception

    assert feed.recent() == []


def test_a_late_watcher_gets_the_kept_decisions_then_the_new_ones_until_the_feed_closes() -> None:
    feed = DecisionFeed(small_map())
    feed.on_access(access(SESSION_ARN, "dynamodb:GetItem", TABLE_ARN, allowed=True))
    feed.on_access(access(SESSION_ARN, "dynamodb:PutItem", TABLE_ARN, allowed=False))
    subscription = feed.subscribe(after=1)
    stream = feed.stream(subscription, keepalive_seconds=60)

    assert _id(next(stream)) == 2
    feed.on_access(access(SESSION_ARN, "dynamodb:Query", TABLE_ARN, allowed=False))
    assert _id(next(stream)) == 3
    feed.close()
    assert list(stream) == []


def _id(decision: Decision | None) -> int:
    assert decision is not None
    return decision.id


# ---------------------------------------------------------------- the map's site


@dataclass
class FakeReplays:
    ran: list[str] = field(default_factory=list)

    @property
    def all(self) -> Mapping[str, Replay]:
        return {"attack": Replay("attack", "An attack", "an attacker", "a boundary", self._run)}

    def run(self, name: str) -> ReplayOutcome:
        return self.all[name].run()

    def _run(self) -> ReplayOutcome:
        self.ran.append("attack")
        return ReplayOutcome("attack", True, "HTTP 403")


@dataclass
class MapSite:
    url: str
    feed: DecisionFeed
    replays: FakeReplays
    token: str

    def replay(self, **headers: str) -> requests.Response:
        return requests.post(f"{self.url}/api/replays/attack", data="{}", headers=headers, timeout=10)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[MapSite]:
    stack_map = small_map()
    feed = DecisionFeed(stack_map)
    replays = FakeReplays()
    origin = Origin()
    application = BoundaryMapSite(
        files=BuiltFiles(tmp_path, "run `make web`"),
        origin=origin,
        stack_map=stack_map,
        feed=feed,
        replays=replays,
        roles=list,
    )
    with BackgroundServer(SecuredSite(application, origin, {})) as server:
        origin.url = server.url
        yield MapSite(server.url, feed, replays, application.token)
        feed.close()


def test_the_maps_own_page_may_replay_an_attack(site: MapSite) -> None:
    response = site.replay(
        **{"Origin": site.url, "Content-Type": "application/json", TOKEN_HEADER: site.token}
    )

    assert response.json() == {"name": "attack", "refused": True, "answer": "HTTP 403"}
    assert site.replays.ran == ["attack"]


OWN = "own origin"


@pytest.mark.parametrize(
    ("origin", "content_type", "fetch_site", "why"),
    [
        (None, "application/json", None, "Origin"),
        ("http://evil.example", "application/json", None, "Origin"),
        ("null", "application/json", None, "Origin"),
        (OWN, "text/plain", None, "JSON"),
        (OWN, "application/x-www-form-urlencoded", None, "JSON"),
        (OWN, "application/json", "cross-site", "another site"),
        (OWN, "application/json", "same-site", "another site"),
    ],
)
def test_a_replay_from_anywhere_else_is_refused(
    site: MapSite, origin: str | None, content_type: str, fetch_site: str | None, why: str
) -> None:
    headers = {"Content-Type": content_type, TOKEN_HEADER: site.token}
    if origin is not None:
        headers["Origin"] = site.url if origin == OWN else origin
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site

    response = site.replay(**headers)

    assert response.status_code == 403
    assert why in response.json()["message"]
    assert site.replays.ran == []


@pytest.mark.parametrize("token", [None, "", "guessed"])
def test_a_replay_without_the_pages_token_is_refused(site: MapSite, token: str | None) -> None:
    headers = {"Origin": site.url, "Content-Type": "application/json"}
    if token is not None:
        headers[TOKEN_HEADER] = token

    assert site.replay(**headers).status_code == 403
    assert site.replays.ran == []


def test_a_replay_is_never_started_by_a_get(site: MapSite) -> None:
    assert requests.get(f"{site.url}/api/replays/attack", timeout=10).status_code == 405
    assert site.replays.ran == []


def test_the_event_stream_sends_kept_and_new_decisions(site: MapSite) -> None:
    site.feed.on_access(access(SESSION_ARN, "dynamodb:GetItem", TABLE_ARN, allowed=True))
    received: list[dict[str, object]] = []
    connected = threading.Event()

    def watch() -> None:
        with requests.get(f"{site.url}/api/events", stream=True, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            connected.set()
            # One byte at a time: the stream is not chunked, and a decision is only a few hundred bytes.
            for line in response.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith("data: "):
                    received.append(json.loads(line.removeprefix("data: ")))
                if len(received) == 2:
                    return

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert connected.wait(30)
    site.feed.on_access(access(SESSION_ARN, "dynamodb:PutItem", TABLE_ARN, allowed=False))
    watcher.join(30)

    assert [(event["id"], event["action"], event["allowed"]) for event in received] == [
        (1, "dynamodb:GetItem", True),
        (2, "dynamodb:PutItem", False),
    ]


def test_a_reconnecting_watcher_resumes_after_its_last_event(site: MapSite) -> None:
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"):
        site.feed.on_access(access(SESSION_ARN, action, TABLE_ARN, allowed=True))

    with requests.get(
        f"{site.url}/api/events", headers={"Last-Event-ID": "2"}, stream=True, timeout=30
    ) as response:
        lines = response.iter_lines(chunk_size=1, decode_unicode=True)
        first = next(line for line in lines if line.startswith("id: "))

    assert first == "id: 3"
