/**
 * Mutation.processBooking, a pipeline resolver: lookUpFlight (the flight must be in the catalog),
 * countBookingsInFlight (the caller has room for another), registerPaymentMethod (the card token,
 * registered for the booking with the payment provider), then startBooking (starts the booking saga,
 * named after the booking). These handlers run before and after the functions.
 */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  // The booking is made for the caller's Cognito sub and no one else's: without one, nothing starts.
  if (!ctx.identity?.sub) {
    util.unauthorized();
  }
  // The new booking's id, for every step: the payment method is registered under it and the saga's
  // execution is named after it.
  ctx.stash.bookingId = util.autoId();
  return {};
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  return ctx.prev.result;
}
