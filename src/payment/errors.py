"""Domain errors. Step Functions sees the class name as the error name of the failed task."""


class PaymentDeclinedError(RuntimeError):
    """The processor declined the charge; the saga compensates."""

    def __init__(self, booking_id: str, decline_code: str) -> None:
        super().__init__(f"payment for booking {booking_id} was declined: {decline_code}")
        self.decline_code = decline_code


class PaymentConflictError(RuntimeError):
    """The booking's payment is for a different amount or currency than the one charged."""


class PaymentMethodNotRegisteredError(RuntimeError):
    """No payment method was registered for the booking: nothing can be charged; the saga compensates."""
