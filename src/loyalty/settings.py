from pydantic import BaseModel, Field


class LoyaltySettings(BaseModel):
    loyalty_table_name: str = Field(min_length=3, max_length=255)
