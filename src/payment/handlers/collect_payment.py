"""CollectPayment: charges the flight's catalog price (passed by the saga, never by the client)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common.clock import utc_now
from common.events import parse_event
from common.observability import count, instrumented, logger
from payment.dependencies import payment_provider
from payment.errors import PaymentDeclinedError
from payment.models import CollectPaymentRequest
from payment.service import collect_payment


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(CollectPaymentRequest, event)
    logger.append_keys(booking_id=request.booking_id)
    try:
        result = collect_payment(request, payment_provider(), utc_now())
    except PaymentDeclinedError:
        count("PaymentDeclined")
        raise
    logger.info("payment collected", extra={"charge_id": result.charge_id, "amount": result.amount})
    count("PaymentCollected")
    return result.to_event()
