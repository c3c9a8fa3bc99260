"""A customer in a real browser: signs up, books, watches the saga, sees their bookings and points -
and cannot reach another customer's booking. The web app runs on the local cloud's own origin, against
the stack deployed from template.yaml, with every boundary enforced."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import UI_TIMEOUT_MS, Airline, screenshot
from tests.support.local_cloud import BOOK_MUTATION, Customer, book_variables, graphql

pytestmark = pytest.mark.local_cloud


def sign_in(page: Page, airline: Airline, customer: Customer) -> None:
    page.goto(f"{airline.web.app_url}#/sign-in")
    page.get_by_label("E-mail address").fill(customer.email)
    page.get_by_label("Password").fill(customer.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Search flights")).to_be_visible()


def search(page: Page, airline: Airline, flight_number: str) -> None:
    flight = airline.flights[flight_number]
    page.get_by_label("From").fill(flight.departure_airport_code)
    page.get_by_label("To").fill(flight.arrival_airport_code)
    page.get_by_label("Date").fill(flight.departure_date)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("button", name=f"Book {flight_number}")).to_be_visible()


def book(page: Page, airline: Airline, flight_number: str, card: str) -> str:
    """Books from the search results; returns the booking's id (the tracker's URL names it)."""
    search(page, airline, flight_number)
    page.get_by_role("button", name=f"Book {flight_number}").click()
    page.get_by_label(re.compile(re.escape(card))).check()
    page.get_by_role("button", name="Pay and book").click()
    expect(page.get_by_role("heading", name="Booking")).to_be_visible()
    return page.url.rsplit("/", 1)[-1]


def test_a_customer_signs_up_books_and_sees_the_booking_confirmed_and_the_points(
    airline: Airline, browser_page: Page
) -> None:
    page, flight = browser_page, airline.flights["SA101"]
    email, password = "new.customer@example.com", "Correct-Horse-7-battery"
    page.goto(airline.web.app_url)
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Confirm your e-mail address")).to_be_visible()
    [mail] = [mail for mail in airline.web.outbox if mail.to == email]
    page.get_by_label("Confirmation code").fill(mail.code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your account is confirmed. Sign in.")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Search flights")).to_be_visible()
    screenshot(page, "app-search")

    booking_id = book(page, airline, "SA101", "tok_visa")

    expect(page.get_by_test_id("booking-status")).to_have_text("CONFIRMED", timeout=UI_TIMEOUT_MS)
    steps = page.get_by_role("list", name="Booking progress")
    expect(steps).to_contain_text("Seat held")
    expect(steps).to_contain_text("charged")
    expect(steps).to_contain_text(re.compile(r"reference \w+"))
    screenshot(page, "app-booking-confirmed")

    page.get_by_role("link", name="My bookings").first.click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=flight.id))
    expect(row).to_contain_text("CONFIRMED")
    assert booking_id not in page.url

    page.get_by_role("link", name="Loyalty").click()
    # A hundred points per euro paid (SA101 is sold in euros), credited through the loyalty queue
    # shortly after the confirmation.
    expect(page.get_by_test_id("loyalty-points")).to_have_text(f"{flight.price:,}", timeout=UI_TIMEOUT_MS)
    expect(page.get_by_test_id("loyalty-tier")).to_have_text("bronze")
    expect(page.get_by_text(f"{50_000 - flight.price:,} points to silver")).to_be_visible()
    screenshot(page, "app-loyalty")


def test_a_declined_card_shows_the_booking_cancelled_with_its_reason(
    airline: Airline, browser_page: Page
) -> None:
    page = browser_page
    sign_in(page, airline, airline.customer("declined"))

    book(page, airline, "SA103", "tok_chargeDeclined")

    expect(page.get_by_test_id("booking-status")).to_have_text("CANCELLED", timeout=UI_TIMEOUT_MS)
    steps = page.get_by_role("list", name="Booking progress")
    expect(steps).to_contain_text("payment declined (card_declined)")
    expect(steps).to_contain_text("nothing was charged and the seat was released")
    screenshot(page, "app-booking-cancelled")


def test_another_customers_booking_is_not_reachable_from_the_ui(airline: Airline, browser_page: Page) -> None:
    page = browser_page
    owner, other = airline.customer("owner"), airline.customer("other")
    assert airline.cloud.endpoints.graphql is not None
    owners_booking = graphql(
        airline.cloud.endpoints.graphql,
        owner.id_token,
        BOOK_MUTATION,
        book_variables(airline.flights["SA102"].id, "tok_visa"),
    )["processBooking"]["id"]
    sign_in(page, airline, other)

    page.get_by_role("link", name="My bookings").click()
    expect(page.get_by_text("No bookings yet.")).to_be_visible()
    page.get_by_label("Open a booking by its id").fill(owners_booking)
    page.get_by_role("button", name="Open", exact=True).click()

    expect(page.get_by_text("There is no booking with this id in your account.")).to_be_visible()
    expect(page.get_by_test_id("booking-status")).to_have_count(0)
    screenshot(page, "app-other-customers-booking")


def test_the_session_lives_in_memory_only(airline: Airline, browser_page: Page) -> None:
    page = browser_page
    sign_in(page, airline, airline.customer("memory"))

    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_the_pages_carry_the_deployed_sites_security_headers(airline: Airline, browser_page: Page) -> None:
    response = browser_page.goto(airline.web.app_url)
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-frame-options"] == "DENY"


def test_a_customer_signs_in_with_the_keyboard_alone(airline: Airline, browser_page: Page) -> None:
    page, customer = browser_page, airline.customer("keyboard")
    page.goto(f"{airline.web.app_url}#/sign-in")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(customer.email)
    page.keyboard.press("Tab")
    page.keyboard.type(customer.password)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Search flights")).to_be_focused()


def test_the_app_fits_a_phone_screen(airline: Airline, browser_page: Page) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, airline, airline.customer("phone"))
    search(page, airline, "SA101")

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "app-phone-search")
