from pydantic import BaseModel, Field


class BookingTableSettings(BaseModel):
    booking_table_name: str = Field(min_length=3, max_length=255)


class BookingTopicSettings(BaseModel):
    booking_topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$")
