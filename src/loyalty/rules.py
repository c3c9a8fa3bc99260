"""Loyalty rules, free of AWS: points earned and tiers."""

from __future__ import annotations

from loyalty.models import BookingNotice, LoyaltySummary, Tier

SILVER_THRESHOLD = 50_000
GOLD_THRESHOLD = 100_000


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
