"""RefundPayment: compensation step; refunds the booking's captured charge if there is one."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from common.events import parse_event
from common.observability import count, instrumented, utc_now
from payment.dependencies import payment_provider
from payment.models import RefundPaymentRequest, RefundStatus
from payment.service import refund_payment


@instrumented
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, object]:
    request = parse_event(RefundPaymentRequest, event)
    result = refund_payment(request.booking_id, payment_provider(), utc_now())
    if result.status is RefundStatus.REFUNDED:
        count("PaymentRefunded")
    return result.to_event()
