"""Domain errors. Step Functions sees the class name as the error name of the failed task."""


class BookingConflictError(RuntimeError):
    """A booking with this id already exists with different details."""


class BookingNotConfirmableError(RuntimeError):
    """The booking does not exist or was cancelled, so it cannot be confirmed."""


class InvalidNotificationError(ValueError):
    """A confirmed-booking notice must say what was charged."""
