"""The boundary map in a real browser: a booking's decisions appear allowed (green), each replayed
attack denied (red); and the map cannot be driven, or read, from anywhere but its own page."""

from __future__ import annotations

import json
import re

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import UI_TIMEOUT_MS, Airline, screenshot
from tests.support.local_cloud import BOOK_MUTATION, book_variables, graphql

pytestmark = pytest.mark.local_cloud

GREEN = "rgb(11, 107, 50)"
RED = "rgb(179, 38, 30)"

REPLAYS = {
    # replay -> (the principal refused, the action, the edge that turns red)
    "outsider-on-loyalty-api": ("user/map-outsider", "execute-api:Invoke", "Outsiders>LoyaltyApi"),
    "function-role-outside-its-grant": (
        "GetLoyaltyFunctionRole",
        "dynamodb:PutItem",
        "GetLoyaltyFunction>LoyaltyTable",
    ),
    "forged-token": ("unauthenticated", "appsync:GraphQL", "Outsiders>GraphQLApi"),
}


@pytest.fixture
def map_page(airline: Airline, browser_page: Page) -> Page:
    browser_page.goto(airline.web.map_url)
    expect(browser_page.get_by_role("status")).to_contain_text("live")
    expect(browser_page.locator("[data-node=GetLoyaltyFunction]")).to_be_visible()
    return browser_page


def decision(page: Page, principal: str, action: str, *, allowed: bool) -> Locator:
    return (
        page.locator(f".decision[data-allowed={str(allowed).lower()}]")
        .filter(has_text=principal)
        .filter(has_text=action)
        .first
    )


def stroke(locator: Locator) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).stroke"))


def test_the_map_draws_the_stack_from_the_template(map_page: Page) -> None:
    page = map_page
    for node in ("GraphQLApi", "LoyaltyApi", "BookingStateMachine", "LoyaltyQueue", "BookingTopic"):
        expect(page.locator(f"[data-node={node}]")).to_be_visible()
    expect(page.locator("[data-node=GetLoyaltyFunction]")).to_contain_text("role GetLoyaltyFunctionRole")
    # One edge per grant of the expanded policies: GetLoyalty reads the loyalty table, nothing else.
    expect(page.locator("[data-edge^='GetLoyaltyFunction>']")).to_have_count(1)
    expect(page.locator("[data-edge='GetLoyaltyFunction>LoyaltyTable'] title")).to_contain_text(
        "dynamodb:GetItem"
    )


def test_a_bookings_decisions_appear_allowed_in_green(airline: Airline, map_page: Page) -> None:
    page, customer = map_page, airline.customer("mapped")
    url = airline.cloud.endpoints.graphql
    assert url is not None
    graphql(url, customer.id_token, BOOK_MUTATION, book_variables(airline.flights["SA101"].id, "tok_visa"))

    # Each step of the saga, as it happens: the map waits for none of them, the expectations do.
    for principal, action in [
        ("BookingDataSourceRole", "states:StartExecution"),
        ("BookingStateMachineRole", "lambda:InvokeFunction"),
        ("ReserveBookingFunctionRole", "dynamodb:PutItem"),
        ("PaymentRegistrationRole", "dynamodb:PutItem"),
        ("CollectPaymentFunctionRole", "dynamodb:UpdateItem"),
        ("NotifyBookingFunctionRole", "sns:Publish"),
    ]:
        entry = decision(page, principal, action, allowed=True)
        expect(entry).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(entry).to_contain_text("✓ allowed")
    start = page.locator("[data-edge='BookingWorkflowDataSource>BookingStateMachine']")
    expect(start).to_have_class(re.compile(r"\bedge-allowed\b"))
    assert stroke(start) == GREEN

    decision(page, "ReserveBookingFunctionRole", "dynamodb:PutItem", allowed=True).click()
    detail = page.locator("dl.detail")
    expect(detail).to_contain_text("Allowed")
    expect(detail).to_contain_text("statement")  # the deciding statement of the role's policy
    screenshot(page, "map-booking")


@pytest.mark.parametrize("replay", list(REPLAYS))
def test_a_replayed_attack_appears_denied_in_red(map_page: Page, replay: str) -> None:
    page = map_page
    principal, action, edge = REPLAYS[replay]
    card = page.locator(f"[data-replay={replay}]")

    card.get_by_role("button", name="Replay").click()

    expect(card.locator(".replay-outcome")).to_contain_text("Refused", timeout=UI_TIMEOUT_MS)
    entry = decision(page, principal, action, allowed=False)
    expect(entry).to_contain_text("✗ denied")
    red = page.locator(f"[data-edge='{edge}']")
    expect(red).to_have_class(re.compile(r"\bedge-denied\b"))
    assert stroke(red) == RED
    entry.click()
    expect(page.locator("dl.detail")).to_contain_text("Denied")
    screenshot(page, f"map-{replay}")


def test_filter_by_principal_and_pause(airline: Airline, map_page: Page) -> None:
    page = map_page
    page.locator("[data-replay=function-role-outside-its-grant]").get_by_role("button", name="Replay").click()
    expect(decision(page, "GetLoyaltyFunctionRole", "dynamodb:PutItem", allowed=False)).to_be_visible()

    page.get_by_label("Principal").select_option("GetLoyaltyFunctionRole")
    labels = page.locator(".decision .who")
    expect(labels.first).to_have_text("GetLoyaltyFunctionRole")
    assert set(labels.all_inner_texts()) == {"GetLoyaltyFunctionRole"}

    page.get_by_role("button", name="Pause").click()
    shown = page.locator(".decision").count()
    replayed = _replay_from_the_maps_own_origin(airline, "outsider-on-loyalty-api")
    assert replayed.status_code == 200
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"paused, [1-9]\d* waiting"))
    assert page.locator(".decision").count() == shown
    page.get_by_role("button", name="Resume").click()
    page.get_by_label("Principal").select_option("")
    expect(decision(page, "user/map-outsider", "execute-api:Invoke", allowed=False)).to_be_visible()


def test_each_role_shows_its_grants_used_so_far(map_page: Page) -> None:
    page = map_page
    page.get_by_label("Role").select_option("GetLoyaltyFunctionRole")

    grant = page.locator("table.grants tr").filter(has_text="dynamodb:GetItem")
    expect(grant).to_contain_text(re.compile("used|not used yet"))
    expect(page.locator("table.grants")).to_contain_text("logs:CreateLogStream")


def test_another_site_cannot_replay_an_attack(airline: Airline, page: Page) -> None:
    """A page elsewhere (here: the customer web app's origin, and a page of no origin) tries to make the
    map run a replay: the browser will not send the script's request (no CORS preflight is granted),
    and the map refuses a plain form post. Nothing is replayed. (The browser logs the blocked request as
    an error: this test uses the plain page.)"""
    web = airline.web
    before = _decisions_of(airline, "user/map-outsider")
    page.goto(web.app_url)
    target = f"{web.map_url}api/replays/outsider-on-loyalty-api"

    fetched = page.evaluate(
        """async target => {
            const json = {"Content-Type": "application/json"};
            try {
                const response = await fetch(target, {method: "POST", headers: json, body: "{}"});
                return "sent: " + response.status;
            } catch (error) { return "blocked: " + error; }
        }""",
        target,
    )
    assert fetched.startswith("blocked")

    page.goto("about:blank")
    page.set_content(
        f'<form method="post" action="{target}" enctype="text/plain"><input name="x" value="y"></form>'
    )
    with page.expect_navigation():
        page.evaluate("() => document.forms[0].submit()")
    assert "replay refused" in page.content()

    assert _decisions_of(airline, "user/map-outsider") == before


def test_the_map_refuses_replays_without_its_pages_token_or_origin(airline: Airline) -> None:
    web = airline.web
    target = f"{web.map_url}api/replays/forged-token"
    own_origin = web.map_url.rstrip("/")
    attempts = {
        "another origin": {"Origin": "http://evil.example", "Content-Type": "application/json"},
        "no token": {"Origin": own_origin, "Content-Type": "application/json"},
        "a wrong token": {"Origin": own_origin, "Content-Type": "application/json", "X-Map-Token": "guess"},
        "a form body": {"Origin": own_origin, "Content-Type": "text/plain", "X-Map-Token": _token(airline)},
        "a cross-site fetch": {
            "Origin": own_origin,
            "Content-Type": "application/json",
            "X-Map-Token": _token(airline),
            "Sec-Fetch-Site": "cross-site",
        },
    }
    before = _decisions_of(airline, "unauthenticated")

    answers = {
        name: requests.post(target, headers=headers, data="{}", timeout=30)
        for name, headers in attempts.items()
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(attempts, 403)
    assert _decisions_of(airline, "unauthenticated") == before
    assert _replay_from_the_maps_own_origin(airline, "forged-token").json()["refused"] is True


def test_both_sites_answer_only_on_loopback_and_to_their_own_host(airline: Airline) -> None:
    for url in (airline.web.app_url, airline.web.map_url):
        assert url.startswith("http://127.0.0.1:")
        rebound = requests.get(f"{url}api/stack", headers={"Host": "evil.example"}, timeout=30)
        assert rebound.status_code == 421
        preflight = requests.options(f"{url}graphql", headers={"Origin": "http://evil.example"}, timeout=30)
        assert preflight.status_code == 403
        assert "Access-Control-Allow-Origin" not in preflight.headers


def test_the_event_stream_carries_no_secrets(airline: Airline) -> None:
    cloud, customer = airline.cloud, airline.customer("secrets")
    assert cloud.endpoints.graphql is not None
    graphql(
        cloud.endpoints.graphql,
        customer.id_token,
        BOOK_MUTATION,
        book_variables(airline.flights["SA102"].id, "tok_mastercard"),
    )
    stolen = cloud.role_credentials("LoyaltyDataSourceRole", service="appsync.amazonaws.com")
    requests.get(
        f"{cloud.endpoints.loyalty_api}/loyalty/{customer.sub}/get",
        headers={"Authorization": f"AWS4-HMAC-SHA256 Credential={stolen.access_key_id}/bad, Signature=00"},
        timeout=30,
    )
    for replay in REPLAYS:
        _replay_from_the_maps_own_origin(airline, replay)

    stream = _read_stream(airline)

    secrets = [
        customer.id_token,
        customer.password,
        cloud.admin_credentials.access_key_id,
        cloud.admin_credentials.secret_access_key,
        stolen.access_key_id,
        stolen.secret_access_key,
        str(stolen.session_token),
        "tok_mastercard",
        "Signature=00",
    ]
    assert "execute-api:Invoke" in stream
    assert [secret for secret in secrets if secret in stream] == []
    assert re.search(r"\b(AKIA|ASIA)[A-Z0-9]{12,}", stream) is None
    assert re.search(r"eyJ[\w-]+\.[\w-]+\.", stream) is None


# ---------------------------------------------------------------- helpers


def _token(airline: Airline) -> str:
    return str(requests.get(f"{airline.web.map_url}api/session", timeout=30).json()["token"])


def _replay_from_the_maps_own_origin(airline: Airline, replay: str) -> requests.Response:
    return requests.post(
        f"{airline.web.map_url}api/replays/{replay}",
        headers={
            "Origin": airline.web.map_url.rstrip("/"),
            "Content-Type": "application/json",
            "X-Map-Token": _token(airline),
        },
        data="{}",
        timeout=60,
    )


def _read_stream(airline: Airline) -> str:
    """The decisions kept so far, as the map's event stream sends them (read up to the latest one)."""
    latest = airline.web.decisions()[-1].id
    lines: list[str] = []
    with requests.get(f"{airline.web.map_url}api/events", stream=True, timeout=30) as response:
        for line in response.iter_lines(chunk_size=1, decode_unicode=True):
            if line.startswith("data: "):
                lines.append(line)
                if json.loads(line.removeprefix("data: "))["id"] >= latest:
                    break
    return "\n".join(lines)


def _decisions_of(airline: Airline, principal_label: str) -> int:
    return sum(1 for decision in airline.web.decisions() if decision.principal_label == principal_label)
