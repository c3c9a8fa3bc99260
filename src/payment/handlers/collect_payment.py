"""CollectPayment: charges the flight's catalog price (passed by the saga, never by the client)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common.events import parse_event
from common.observability import count, instrumented, utc_now
from payment.dependencies import payment_provider
from payment.errors import PaymentDeclinedError
from payment.models import CollectPaymentRequest
from payment.service import collect_payment


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(CollectPaymentRequest, event)
    try:
        result = collect_payment(request, payment_provider(), utc_now())
    except PaymentDeclinedError:
        count("PaymentDeclined")
        raise
    count("PaymentCollected")
    return result.to_event()
