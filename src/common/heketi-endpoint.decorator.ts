import { applyDecorators } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { HEKETI_UI_SCHEME } from '../docs/heketi-request-signer.js';

type ErrorStatus = 400 | 401 | 404 | 409 | 422 | 429 | 500 | 501;

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: 'Invalid request (plain text, e.g. `validation failed: size: cannot be blank.`)',
  401: 'Missing or invalid Heketi JWT, or the `user` issuer on an admin route (plain text)',
  404: '`Id not found`, or `Invalid path or request` for an id that is not hex (plain text)',
  409: "Conflicts with the volume's state (plain text)",
  422: '`request unable to be parsed`: the body is not JSON of the expected shape (plain text)',
  429: '`Server busy. Retry operation later.`, with a `Retry-After` in seconds',
  500: "Could not be done; the body says why, in Heketi's words (plain text)",
  501: 'A Heketi capability piragua does not have (plain text explains why)',
};

interface EndpointOptions {
  /** `result`: 202, then the queue redirects (303) to the volume; `no-result`: 202, then the queue answers 204. */
  async?: 'result' | 'no-result';
  description?: string;
  errors?: ErrorStatus[];
  /** Public routes need no token. */
  public?: boolean;
  summary: string;
}

/** The OpenAPI description of one Heketi operation: summary, auth, async protocol and errors. */
export function HeketiEndpoint(options: EndpointOptions) {
  const asyncText =
    options.async === 'result'
      ? ' Asynchronous: answers `202` with `Location: /queue/{id}`; poll it until it answers `303` to `/volumes/{id}`.'
      : options.async === 'no-result'
        ? ' Asynchronous: answers `202` with `Location: /queue/{id}`; poll it until it answers `204`.'
        : '';
  const decorators = [
    ApiOperation({
      description: `${options.description ?? ''}${asyncText}`.trim() || undefined,
      summary: options.summary,
    }),
    ...(options.async
      ? [
          ApiResponse({
            description: 'Accepted; poll the queue',
            headers: { Location: { description: '`/queue/{id}`', schema: { type: 'string' } } },
            status: 202,
          }),
        ]
      : []),
    ...(options.errors ?? []).map((status) =>
      ApiResponse({
        content: { 'text/plain': { schema: { type: 'string' } } },
        description: ERROR_TEXT[status],
        status,
      }),
    ),
  ];
  if (!options.public) {
    decorators.push(
      // The wire format is a Heketi JWT; the Basic scheme is how Swagger UI collects the issuer and key to sign one.
      ApiBasicAuth(HEKETI_UI_SCHEME),
      ApiResponse({
        content: { 'text/plain': { schema: { type: 'string' } } },
        description: ERROR_TEXT[401],
        status: 401,
      }),
    );
  }
  return applyDecorators(...decorators);
}
