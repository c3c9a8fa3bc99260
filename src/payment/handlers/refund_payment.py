"""RefundPayment: compensation step; refunds the booking's captured charge if there is one."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common.clock import utc_now
from common.events import parse_event
from common.observability import count, instrumented, logger
from payment.dependencies import payment_provider
from payment.models import RefundPaymentRequest, RefundStatus
from payment.service import refund_payment


@instrumented()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(RefundPaymentRequest, event)
    logger.append_keys(booking_id=request.booking_id)
    result = refund_payment(request.booking_id, payment_provider(), utc_now())
    if result.status is RefundStatus.REFUNDED:
        logger.info("payment refunded", extra={"charge_id": result.charge_id})
        count("PaymentRefunded")
    else:
        logger.info("nothing to refund: no payment was captured for the booking")
    return result.to_event()
