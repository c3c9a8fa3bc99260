from pydantic import BaseModel, Field


class PaymentSettings(BaseModel):
    payment_table_name: str = Field(min_length=3, max_length=255)
