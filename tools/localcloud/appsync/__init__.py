"""AppSync on one machine: a GraphQL endpoint serving the stack's API with AppSync's rules.

- ``definition`` / ``template``: the API as typed values, from the deployed AppSync resources.
- ``auth``: who calls (Cognito user pool tokens, SigV4-signed IAM callers), refused as AppSync refuses.
- ``schema`` / ``scalars``: the schema with AppSync's scalars and auth directives.
- ``engine``: execution - field auth, the depth limit, unit and pipeline resolvers.
- ``datasources`` / ``dynamodb``: DynamoDB and HTTP data sources, called as their own roles.
- ``resolver_runtime``: the resolvers' APPSYNC_JS code, evaluated in Node.js.
- ``server``: ``POST /graphql`` on 127.0.0.1.

Serving the API from a deployed stack's resolved AppSync resources::

    definition = definition_from_template(
        resources, api_logical_id="GraphQLApi", api_id=api_id, account_id=account, region=region,
        base_path=REPOSITORY_ROOT, function_ids={"LookUpFlightPipelineStep": "...", ...},
    )
    with AppSyncServer(
        definition,
        MotoIdentityDirectory(account, region),
        aws_endpoint_url=aws_endpoint,
        http_endpoint=aws_endpoint_router(aws_endpoint, lambda api, region: rest_api_url),
        keys=JwksEndpoint.under(aws_endpoint),
    ) as api:
        ...  # POST to api.url
"""
