from __future__ import annotations

import pytest

from payment.provider import (
    APPROVED_TEST_TOKENS,
    DECLINED_TEST_TOKENS,
    UNKNOWN_TOKEN_DECLINE_CODE,
    charge_id_for,
    decline_code_for,
)


@pytest.mark.parametrize("token", sorted(APPROVED_TEST_TOKENS))
def test_approved_test_tokens(token: str) -> None:
    assert decline_code_for(token) is None


@pytest.mark.parametrize(("token", "code"), sorted(DECLINED_TEST_TOKENS.items()))
def test_declined_test_tokens_report_their_code(token: str, code: str) -> None:
    assert decline_code_for(token) == code


def test_an_unknown_token_is_declined_rather_than_charged() -> None:
    assert decline_code_for("tok_madeUp") == UNKNOWN_TOKEN_DECLINE_CODE


def test_the_charge_id_is_derived_from_the_booking_so_retries_reuse_it() -> None:
    booking_id = "5b0d6f52-3c1a-4f7e-9d52-8a1e0c2b7f31"

    assert charge_id_for(booking_id) == charge_id_for(booking_id)
    assert charge_id_for(booking_id).startswith("ch_")
    assert charge_id_for(booking_id) != charge_id_for("11111111-2222-4333-8444-555555555555")
