/**
 * processBooking, step 5: start the booking saga through the Step Functions StartExecution API
 * (an HTTP data source signing for the "states" service; its role may start this state machine only).
 *
 * The execution is named after the booking (the id the pipeline derived from the caller and the
 * request id), and the saga takes the booking id from that name alone: a name starts one execution
 * only, so a booking id can only ever start one saga. Sent again, the same request is answered with
 * its booking: Step Functions accepts a StartExecution of a running execution's name with the same
 * input, and refuses it with ExecutionAlreadyExists once that execution has ended; either way the
 * saga of this name is this customer's booking for this request id, and nothing is started twice. The input is the caller's Cognito sub and the flight, nothing else: no price (the
 * saga charges the catalog's) and no card token (registered for the booking by the previous step).
 */
import { util } from '@aws-appsync/utils';

// StartExecution's refusals that say "not now" rather than "not this": the request rate
// (ThrottlingException) or the account's limit on open executions (ExecutionLimitExceeded).
const THROTTLES = ['ThrottlingException', 'ExecutionLimitExceeded'];

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const bookingId = ctx.stash.bookingId;
  const input = {
    customerId: ctx.identity.sub,
    flightId: ctx.prev.result.id,
  };
  return {
    method: 'POST',
    resourcePath: '/',
    params: {
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.StartExecution',
      },
      body: JSON.stringify({
        stateMachineArn: ctx.env.BOOKING_STATE_MACHINE_ARN,
        name: bookingId,
        input: JSON.stringify(input),
      }),
    },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  if (ctx.result.statusCode !== 200 && errorTypeOf(ctx.result.body) === 'ExecutionAlreadyExists') {
    return { id: ctx.stash.bookingId, status: 'PENDING' };
  }
  if (ctx.result.statusCode !== 200 && THROTTLES.includes(errorTypeOf(ctx.result.body))) {
    // No execution was started (the payment method stays registered until it expires): the same
    // request, sent again after a backoff, books once.
    util.error(
      'Too many bookings are being started: retry after a backoff with the same requestId',
      'Throttled',
      null,
      { retryable: true, retryStrategy: 'exponential backoff with jitter' },
    );
  }
  if (ctx.result.statusCode !== 200) {
    // Step Functions' own message can name the state machine's ARN: the caller gets its error type only.
    util.error('The booking could not be started', errorTypeOf(ctx.result.body));
  }
  return { id: ctx.stash.bookingId, status: 'PENDING' };
}

/**
 * The error's name from an AWS JSON protocol error body: its "__type", less the namespace that may come
 * before a "#" (e.g. "com.amazonaws.swf.service.v2.model#ExecutionLimitExceeded") and anything after
 * a ":", as the protocol tells clients to read it.
 */
function errorTypeOf(body) {
  if (typeof body !== 'string' || !body.startsWith('{')) {
    return 'BookingWorkflowError';
  }
  const type = JSON.parse(body).__type;
  if (typeof type !== 'string' || type === '') {
    return 'BookingWorkflowError';
  }
  const parts = type.split('#');
  return parts[parts.length - 1].split(':')[0];
}
