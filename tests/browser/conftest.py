"""Browser tests: headless Chromium (Debian's, driven by Playwright) against the web app and the boundary
map the local cloud serves. They need `make build` (the functions) and `make web` (the pages)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.conftest import require_build
from tests.support.local_cloud import WEB_BUILD, Customer, LocalCloud, WebApp, prewarmed_cloud
from tests.support.template import REPOSITORY_ROOT, Flight, sample_flights, seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPOSITORY_ROOT / "reports" / "screenshots"
UI_TIMEOUT_MS = 90_000
"""How long an expectation of a saga's outcome waits: the saga and the loyalty queue run on their own."""

# Every expectation waits for its condition; generously, on a busy 2-core machine.
expect.set_options(timeout=30_000)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _keep_the_browser_tests_together(items)
    missing = []
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        missing.append("Chromium (`make setup` installs Debian's: apt-get install -y chromium)")
    if not (WEB_BUILD / "app" / "index.html").is_file() or not (WEB_BUILD / "map" / "index.html").is_file():
        missing.append("the built web app (`make web`)")
    if not missing:
        return
    skip = pytest.mark.skip(reason="the browser tests need " + " and ".join(missing))
    for item in items:
        if _in_the_browser_tier(item) and "page" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def _keep_the_browser_tests_together(items: list[pytest.Item]) -> None:
    """pytest runs the tests that use pytest-playwright's (session-scoped, parametrized) browser apart
    from the others, which would split a module between two sets of sites and the tier between two
    local clouds. This puts the tier's tests back in one run, each module's in one piece, where the
    first of them was (after pytest's own reordering: this hook runs last)."""
    tier = [item for item in items if _in_the_browser_tier(item)]
    if not tier:
        return
    first = items.index(tier[0])
    modules = list(dict.fromkeys(item.path for item in tier))
    tier.sort(key=lambda item: modules.index(item.path))  # stable: each module's own order is kept
    rest = [item for item in items if not _in_the_browser_tier(item)]
    items[:] = [*rest[:first], *tier, *rest[first:]]


def _in_the_browser_tier(item: pytest.Item) -> bool:
    return item.path.parent == Path(__file__).parent


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright's launch settings: the system's Chromium (Playwright's own download is not used)."""
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"locale": "en-GB", "timezone_id": "UTC", "viewport": {"width": 1280, "height": 900}}


@dataclass
class Airline:
    """The running local cloud with its web app and boundary map, and the sample catalog seeded."""

    cloud: LocalCloud
    web: WebApp
    flights: dict[str, Flight]

    def customer(self, name: str) -> Customer:
        return self.cloud.create_customer(f"{name}-{datetime.now(UTC):%H%M%S%f}@example.com")


@dataclass
class SeededCloud:
    """The browser tier's local cloud, its catalog seeded; the modules' sites (`airline`) come and go."""

    cloud: LocalCloud
    flights: dict[str, Flight]


@pytest.fixture(scope="package")
def seeded_cloud() -> Iterator[SeededCloud]:
    """One local cloud for the browser tests, with the sample catalog: its start-up and its functions'
    first (cold) invocations are paid once, not per module. Each module's sites are its own (`airline`),
    so what a module's map shows starts with that module's own decisions."""
    require_build()
    with prewarmed_cloud().start() as cloud:
        assert cloud.stack is not None
        flights = sample_flights(datetime.now(UTC).date())
        seed(cloud.client("dynamodb"), cloud.stack.outputs["FlightTableName"], flights)
        yield SeededCloud(cloud, {flight.flight_number: flight for flight in flights})


@pytest.fixture(scope="module")
def airline(seeded_cloud: SeededCloud) -> Iterator[Airline]:
    with WebApp(seeded_cloud.cloud).start() as web:
        yield Airline(seeded_cloud.cloud, web, seeded_cloud.flights)


@pytest.fixture
def browser_page(page: Page) -> Iterator[Page]:
    """pytest-playwright's page, failing the test on any script error or Content-Security-Policy
    violation (a page that breaks its own policy would be broken when deployed)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    assert problems == []


def screenshot(page: Page, name: str) -> Path:
    """Saved under reports/screenshots/ (git-ignored) as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
