/**
 * processBooking, step 2: has this purchase been asked for before? The booking id is derived from the
 * caller and the client's request id (see the pipeline), so an earlier attempt of the same purchase
 * registered its payment method under the same id. Read from the payment table: the registration's
 * request fingerprint only (the data source's role may read that attribute and no other: never a
 * card token, a charge or its outcome).
 *
 * A registration found with the same fingerprint is this request again: the steps that follow answer
 * with the same booking and change nothing. One with another fingerprint is another purchase under a
 * request id already used: refused with BookingRequestConflict, nothing changed.
 */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ bookingId: ctx.stash.bookingId }),
    projection: {
      expression: '#requestFingerprint',
      expressionNames: { '#requestFingerprint': 'requestFingerprint' },
    },
    consistentRead: true,
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  if (ctx.result) {
    if (ctx.result.requestFingerprint !== ctx.stash.requestFingerprint) {
      util.error(
        'This request id was already used for another purchase: make a new request id for a new purchase',
        'BookingRequestConflict',
      );
    }
    ctx.stash.requestedBefore = true;
  }
  // The flight looked up by the first step goes on unchanged.
  return ctx.prev.result;
}
