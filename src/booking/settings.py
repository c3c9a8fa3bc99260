from pydantic import BaseModel, Field

from common.models import TopicArn


class BookingTableSettings(BaseModel):
    booking_table_name: str = Field(min_length=3, max_length=255)


class BookingTopicSettings(BaseModel):
    booking_topic_arn: TopicArn
