import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An HTTP API (payload 2.0) event as API Gateway delivers it: a JSON GET of /items unless `overrides` say otherwise. */
export const httpEvent = (overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'GET /items',
    rawPath: '/items',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { requestId: 'req-1' },
    isBase64Encoded: false,
    ...overrides,
  }) as APIGatewayProxyEventV2;
