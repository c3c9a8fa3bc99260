from pydantic import Field

from common.models import TopicArn
from common.settings import Settings


class LoyaltySettings(Settings):
    loyalty_table_name: str = Field(min_length=3, max_length=255)


class NoticeSettings(Settings):
    """IngestLoyalty credits only notices from this topic."""

    booking_topic_arn: TopicArn
