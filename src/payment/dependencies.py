"""Wiring: the payment provider is built on first use and reused across invocations."""

from __future__ import annotations

from functools import cache

from common.aws import dynamodb_client
from common.settings import load_settings
from payment.provider import SimulatedPaymentProvider
from payment.repository import PaymentLedger
from payment.service import PaymentProvider
from payment.settings import PaymentSettings


@cache
def payment_provider() -> PaymentProvider:
    settings = load_settings(PaymentSettings)
    return SimulatedPaymentProvider(PaymentLedger(dynamodb_client(), settings.payment_table_name))


def reset() -> None:
    payment_provider.cache_clear()
