from pydantic import BaseModel, Field

from common.models import TopicArn


class LoyaltySettings(BaseModel):
    loyalty_table_name: str = Field(min_length=3, max_length=255)


class NoticeSettings(BaseModel):
    """IngestLoyalty credits only notices from this topic."""

    booking_topic_arn: TopicArn
