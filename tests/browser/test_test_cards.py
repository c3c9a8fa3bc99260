"""The web app offers exactly the simulated payment provider's test cards, each with the decline code the
provider reports for it: the app explains a cancelled booking by the card's code."""

from __future__ import annotations

import json

from payment.rules import APPROVED_TEST_TOKENS, DECLINED_TEST_TOKENS
from tests.support.template import REPOSITORY_ROOT

CARDS = REPOSITORY_ROOT / "web" / "app" / "src" / "test-cards.json"


def test_the_apps_test_cards_are_the_providers() -> None:
    cards = json.loads(CARDS.read_text(encoding="utf-8"))["cards"]

    offered = {card["token"]: card["declineCode"] for card in cards}

    assert offered == {**dict.fromkeys(APPROVED_TEST_TOKENS), **DECLINED_TEST_TOKENS}
