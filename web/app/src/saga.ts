// What a customer sees of the booking saga (statemachine/booking.asl.json) through the API: the
// booking appears once its seat is held (UNCONFIRMED), is CONFIRMED once charged, or is CANCELLED
// after the saga's compensation (refund, seat released).

import type { Booking } from "./api";
import cards from "./test-cards.json";

export type StepState = "done" | "current" | "waiting" | "failed";

export interface Step {
  label: string;
  state: StepState;
  detail?: string;
}

export function steps(booking: Booking | null, cardToken: string | null): Step[] {
  const status = booking?.status ?? null;
  const held = booking !== null;
  const confirmed = status === "CONFIRMED";
  const cancelled = status === "CANCELLED";
  return [
    { label: "Booking requested", state: "done" },
    { label: "Seat held", state: held ? "done" : "current" },
    {
      label: "Payment",
      state: confirmed ? "done" : cancelled ? "failed" : held ? "current" : "waiting",
      ...(confirmed ? { detail: "charged" } : cancelled ? { detail: "not taken" } : {}),
    },
    confirmed
      ? { label: "Confirmed", state: "done", detail: `reference ${booking?.bookingReference ?? ""}` }
      : cancelled
        ? { label: "Cancelled", state: "failed", detail: cancellationReason(cardToken) }
        : { label: "Confirmed", state: "waiting" },
  ];
}

/**
 * Why a booking was cancelled. The API does not say (a Booking has no reason field); the app knows
 * the card it paid with in this session, and the test cards' documented decline codes. Whatever the
 * cause, the saga's compensation refunded any charge and released the seat.
 */
export function cancellationReason(cardToken: string | null): string {
  const card = cards.cards.find((candidate) => candidate.token === cardToken);
  const compensated = "nothing was charged and the seat was released";
  if (card?.declineCode) {
    return `payment declined (${card.declineCode}): ${compensated}`;
  }
  return `the booking could not be completed: any charge was refunded and the seat released`;
}

export function isSettled(booking: Booking | null): boolean {
  return booking !== null && booking.status !== "UNCONFIRMED";
}
