"""Loyalty rules, free of AWS: points earned and tiers."""

from __future__ import annotations

from loyalty.errors import UntrustedNoticeError
from loyalty.models import BookingNotice, LoyaltySummary, Tier, TopicDelivery

SILVER_THRESHOLD = 50_000
GOLD_THRESHOLD = 100_000

MAX_CREDITED_AMOUNT = 500_000
"""No fare the airline sells costs more than 5,000.00: a notice claiming more is not a real booking."""
CREDITED_CURRENCIES = frozenset({"EUR", "GBP", "USD"})
"""The currencies the airline sells in."""
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
    """One point per minor unit charged (a 129.00 EUR booking earns 12,900 points); cancelled: none."""
    if notice.status != "CONFIRMED" or notice.amount is None:
        return 0
    return notice.amount


def tier_for(points: int) -> Tier:
    if points >= GOLD_THRESHOLD:
        return Tier.GOLD
    if points >= SILVER_THRESHOLD:
        return Tier.SILVER
    return Tier.BRONZE


def summarise(points: int) -> LoyaltySummary:
    tier = tier_for(points)
    next_threshold = {Tier.BRONZE: SILVER_THRESHOLD, Tier.SILVER: GOLD_THRESHOLD}.get(tier)
    remaining = 0 if next_threshold is None else next_threshold - points
    return LoyaltySummary(points=points, level=tier, remaining_points=remaining)
