from __future__ import annotations

from functools import cache

from common.aws import dynamodb_client
from common.settings import load_settings
from loyalty.repository import LoyaltyLedger
from loyalty.settings import LoyaltySettings, NoticeSettings


@cache
def loyalty_ledger() -> LoyaltyLedger:
    settings = load_settings(LoyaltySettings)
    return LoyaltyLedger(dynamodb_client(), settings.loyalty_table_name)


@cache
def booking_topic_arn() -> str:
    return load_settings(NoticeSettings).booking_topic_arn


def reset() -> None:
    loyalty_ledger.cache_clear()
    booking_topic_arn.cache_clear()
