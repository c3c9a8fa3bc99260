"""Wiring: settings and clients are resolved on first use and reused across invocations."""

from __future__ import annotations

from functools import cache

from booking.repository import BookingNotifier, BookingRepository
from booking.settings import BookingTableSettings, BookingTopicSettings
from common.aws import dynamodb_client, sns_client
from common.settings import load_settings


@cache
def booking_repository() -> BookingRepository:
    settings = load_settings(BookingTableSettings)
    return BookingRepository(dynamodb_client(), settings.booking_table_name)


@cache
def booking_notifier() -> BookingNotifier:
    settings = load_settings(BookingTopicSettings)
    return BookingNotifier(sns_client(), settings.booking_topic_arn)


def reset() -> None:
    booking_repository.cache_clear()
    booking_notifier.cache_clear()
