"""Loyalty rules, free of AWS: points earned, their bounds, and tiers.

Points are one unit whatever the currency paid: each currency the airline sells in earns at its own
fixed rate (points per 1.00 charged, an earning rule of the programme, not an exchange rate). A booking
earns at most MAX_POINTS_PER_BOOKING, and a customer's total never passes POINTS_CAP: the points a
booking would earn beyond the cap are not credited, and the total stays at the cap. So the total always
fits GraphQL's Int (a signed 32-bit integer, at most 2,147,483,647), which getLoyalty answers with.
"""

from __future__ import annotations

from loyalty.errors import UntrustedNoticeError
from loyalty.models import BookingNotice, LoyaltySummary, Tier, TopicDelivery

SILVER_THRESHOLD = 50_000
GOLD_THRESHOLD = 100_000

MAX_CREDITED_AMOUNT = 500_000
"""No fare the airline sells costs more than 5,000.00: a notice claiming more is not a real booking."""
POINTS_PER_100_MINOR_UNITS = {"EUR": 100, "GBP": 115, "USD": 90}
"""The earning rate of each currency the airline sells in: points per 1.00 charged (per 100 minor
units). A 129.00 EUR booking earns 12,900 points, 129.00 GBP 14,835, 129.00 USD 11,610."""
CREDITED_CURRENCIES = frozenset(POINTS_PER_100_MINOR_UNITS)
"""The currencies the airline sells in."""
MAX_POINTS_PER_BOOKING = 500_000
"""What one booking can earn at most, whatever its fare."""
POINTS_CAP = 1_000_000_000
"""A customer's total never passes this; what a booking would earn beyond it is not credited."""
STATUS_ATTRIBUTE = "bookingStatus"


def trusted_notice(delivery: TopicDelivery, booking_topic_arn: str) -> BookingNotice:
    """The notice a delivery carries, if the loyalty service can believe it.

    The loyalty service reads no other service's table, so it checks what it can see: the envelope
    names the booking topic, the status the subscription filtered on is the notice's own, and the
    amount and currency are ones a real booking has. Raises :class:`UntrustedNoticeError` otherwise.
    """
    if delivery.topic_arn != booking_topic_arn:
        raise UntrustedNoticeError(f"the notice came from {delivery.topic_arn}, not from the booking topic")
    notice = delivery.message
    attribute = delivery.message_attributes.get(STATUS_ATTRIBUTE)
    if attribute is None or attribute.value != notice.status:
        raise UntrustedNoticeError(
            f"the {STATUS_ATTRIBUTE} attribute does not match the notice's status {notice.status}"
        )
    if notice.status == "CONFIRMED":
        if notice.amount is not None and notice.amount > MAX_CREDITED_AMOUNT:
            raise UntrustedNoticeError(f"no booking costs {notice.amount} (at most {MAX_CREDITED_AMOUNT})")
        if notice.currency not in CREDITED_CURRENCIES:
            raise UntrustedNoticeError(f"the airline does not sell in {notice.currency}")
    return notice


def points_for(notice: BookingNotice) -> int:
    """The points a confirmed booking earns: its amount at its currency's earning rate, rounded down, at
    most MAX_POINTS_PER_BOOKING. A cancelled booking, or a currency that earns nothing, earns none."""
    if notice.status != "CONFIRMED" or notice.amount is None or notice.currency is None:
        return 0
    return points_earned(notice.amount, notice.currency)


def points_earned(amount: int, currency: str) -> int:
    """What ``amount`` minor units paid in ``currency`` earn: the currency's earning rate, rounded down,
    at most MAX_POINTS_PER_BOOKING; none in a currency that earns nothing."""
    rate = POINTS_PER_100_MINOR_UNITS.get(currency, 0)
    return min(amount * rate // 100, MAX_POINTS_PER_BOOKING)


def creditable(points: int, total: int) -> int:
    """How many of a booking's ``points`` a customer with ``total`` points is credited: all of them, or
    what is left below POINTS_CAP (none at the cap)."""
    return max(0, min(points, POINTS_CAP - total))


def tier_for(points: int) -> Tier:
    if points >= GOLD_THRESHOLD:
        return Tier.GOLD
    if points >= SILVER_THRESHOLD:
        return Tier.SILVER
    return Tier.BRONZE


def summarise(points: int) -> LoyaltySummary:
    # A total can only pass the cap if it was recorded before the cap existed: it reads as the cap.
    points = min(points, POINTS_CAP)
    tier = tier_for(points)
    next_threshold = {Tier.BRONZE: SILVER_THRESHOLD, Tier.SILVER: GOLD_THRESHOLD}.get(tier)
    remaining = 0 if next_threshold is None else next_threshold - points
    return LoyaltySummary(points=points, level=tier, remaining_points=remaining)
