/**
 * Mutation.processBooking, a pipeline resolver: lookUpFlight (the flight must be in the catalog), then
 * startBooking (starts the booking saga). These handlers run before and after the two functions.
 */
import { util } from '@aws-appsync/utils';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  // The booking is made for the caller's Cognito sub and no one else's: without one, nothing starts.
  if (!ctx.identity?.sub) {
    util.unauthorized();
  }
  return {};
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  return ctx.prev.result;
}
