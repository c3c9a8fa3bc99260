"""GetLoyalty: ``GET /loyalty/{customerId}/get`` behind the AWS_IAM-protected loyalty API.

Powertools' resolver validates the path parameter against the route's annotation before the route runs:
a customer id that is not a lower-case UUID is answered 422, naming the parameter (never its value or
the validator's words); any other path is answered 404. Both bodies are the resolver's own.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common.models import Uuid
from common.observability import count, instrumented, logger
from loyalty.dependencies import loyalty_ledger
from loyalty.models import LoyaltySummary
from loyalty.service import loyalty_of

app = APIGatewayRestResolver(enable_validation=True)

CustomerId = Annotated[
    Uuid, Path(alias="customerId", description="the customer's id (their Cognito sub, a lower-case UUID)")
]


@app.get("/loyalty/<customerId>/get")
def get_loyalty(customer_id: CustomerId) -> LoyaltySummary:
    logger.append_keys(customer_id=customer_id)
    summary = loyalty_of(customer_id, loyalty_ledger())
    count("LoyaltyRead")
    return summary


@instrumented(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    logger.info("loyalty request answered", extra={"status_code": int(response["statusCode"])})
    return response
