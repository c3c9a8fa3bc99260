from pydantic import Field

from common.settings import Settings


class PaymentSettings(Settings):
    payment_table_name: str = Field(min_length=3, max_length=255)
