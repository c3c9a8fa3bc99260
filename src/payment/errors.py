"""Domain errors. Step Functions sees the class name as the error name of the failed task."""


class PaymentDeclinedError(RuntimeError):
    """The processor declined the charge; the saga compensates."""

    def __init__(self, booking_id: str, decline_code: str) -> None:
        super().__init__(f"payment for booking {booking_id} was declined: {decline_code}")
        self.decline_code = decline_code


class PaymentConflictError(RuntimeError):
    """A charge for this booking already exists with a different amount or currency."""
