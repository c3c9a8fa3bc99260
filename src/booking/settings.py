from pydantic import Field

from common.models import TopicArn
from common.settings import Settings


class BookingTableSettings(Settings):
    booking_table_name: str = Field(min_length=3, max_length=255)


class BookingTopicSettings(Settings):
    booking_topic_arn: TopicArn
