/**
 * processBooking, step 4: register the customer's card token for the new booking with the payment
 * provider, before anything else sees the booking. The simulated provider keeps registrations in the
 * payment table, written through a data source whose role may only put a registration's attributes
 * there (conditional: never over an existing payment).
 *
 * The token goes no further. The saga carries the booking id only, so no token is in an execution's
 * input or history; CollectPayment charges what is registered here and erases the token in the same
 * write that records the outcome. A registration no saga charges lapses after REGISTRATION_SECONDS:
 * it is not charged after that, and the table's time to live deletes it.
 */
import { runtime, util } from '@aws-appsync/utils';

// The payment provider's card tokens, e.g. "tok_visa" (the payment service checks the same pattern).
const PAYMENT_TOKEN = '^tok_[A-Za-z0-9_]{1,64}$';
const REGISTRATION_SECONDS = 3600;
const CONDITIONAL_CHECK_FAILED = 'DynamoDB:ConditionalCheckFailedException';

/** @param {import('@aws-appsync/utils').Context} ctx */
export function request(ctx) {
  const { paymentToken } = ctx.args.input;
  if (!util.matches(PAYMENT_TOKEN, paymentToken)) {
    util.error('paymentToken must be a payment token, e.g. tok_visa', 'BadRequest');
  }
  // The catalog's price, as looked up by lookUpFlight: what the customer agrees to pay.
  const flight = ctx.prev.result;
  // A repeat of this request: its payment method is registered already (and may have been charged).
  if (ctx.stash.requestedBefore) {
    runtime.earlyReturn(flight);
  }
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ bookingId: ctx.stash.bookingId }),
    attributeValues: util.dynamodb.toMapValues({
      status: 'REGISTERED',
      paymentMethod: paymentToken,
      amount: flight.price,
      currency: flight.currency,
      registeredAt: util.time.nowISO8601(),
      expiresAt: util.time.nowEpochSeconds() + REGISTRATION_SECONDS,
      requestFingerprint: ctx.stash.requestFingerprint,
    }),
    condition: { expression: 'attribute_not_exists(bookingId)' },
  };
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  // The same request sent twice at once: both found nothing, and the other attempt registered first.
  // Its saga has the same name and input as this one's, so startBooking answers with that booking.
  if (ctx.error && ctx.error.type === CONDITIONAL_CHECK_FAILED) {
    return ctx.prev.result;
  }
  if (ctx.error) {
    util.error('The payment method could not be registered', ctx.error.type);
  }
  // The flight goes on to startBooking; the registration (and its token) does not.
  return ctx.prev.result;
}
