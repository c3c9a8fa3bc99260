"""Domain errors of the loyalty service."""

from common.events import InvalidRequestError


class UntrustedNoticeError(InvalidRequestError):
    """A booking notice the loyalty service will not credit: it did not come from the booking topic,
    or what it claims is not what a real booking can claim. Nothing was credited."""
