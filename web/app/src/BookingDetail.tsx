import { useEffect, useState } from "preact/hooks";

import type { AirlineApi, Booking } from "./api";
import { dateTime, money } from "./format";
import { isSettled, steps } from "./saga";
import { Alert, PageHeading, errorText } from "./ui";

interface Props {
  api: AirlineApi;
  id: string;
  /** The card this session booked it with; null for a booking made elsewhere (or not ours). */
  cardToken: string | null;
  onFailure: (error: unknown) => boolean;
}

const POLL_MS = 1000;
const MAX_POLLS = 120;

export function BookingDetail({ api, id, cardToken, onFailure }: Props) {
  const [booking, setBooking] = useState<Booking | null>(null);
  const [polls, setPolls] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const ours = cardToken !== null;

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let count = 0;
    const poll = async () => {
      try {
        const found = await api.booking(id);
        if (stopped) return;
        count += 1;
        setBooking(found);
        setPolls(count);
        // A booking this session made may not exist yet (its seat is being held): keep asking.
        const waiting = found === null ? ours : !isSettled(found);
        if (waiting && count < MAX_POLLS) timer = window.setTimeout(poll, POLL_MS);
      } catch (caught) {
        if (!stopped && !onFailure(caught)) setError(errorText(caught));
      }
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [api, id, ours, onFailure]);

  const unknown = polls > 0 && booking === null && !ours;
  return (
    <section class="panel">
      <PageHeading>Booking</PageHeading>
      <p class="mono">{id}</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {unknown ? (
        <Alert kind="info">There is no booking with this id in your account.</Alert>
      ) : (
        <>
          <ol class="steps" aria-label="Booking progress">
            {steps(booking, cardToken).map((step) => (
              <li
                key={step.label}
                class={`step step-${step.state}`}
                aria-current={step.state === "current" ? "step" : undefined}
              >
                <span class="step-label">{step.label}</span>
                <span class="step-state">{stateText(step.state)}</span>
                {step.detail ? <span class="step-detail">{step.detail}</span> : null}
              </li>
            ))}
          </ol>
          <p aria-live="polite" class="status-line">
            Status: <strong data-testid="booking-status">{booking?.status ?? "PENDING"}</strong>
          </p>
          {booking ? (
            <dl class="facts">
              <dt>Flight</dt>
              <dd>{booking.flightId}</dd>
              <dt>Amount</dt>
              <dd>{money(booking.amount, booking.currency)}</dd>
              <dt>Booked</dt>
              <dd>{dateTime(booking.createdAt)}</dd>
            </dl>
          ) : null}
          {polls >= MAX_POLLS && !isSettled(booking) ? (
            <Alert kind="info">
              Still in progress. If no seat could be held (the flight is full), no booking is made and nothing
              is charged. Check <a href="#/bookings">My bookings</a> later.
            </Alert>
          ) : null}
        </>
      )}
      <p>
        <a href="#/bookings">All my bookings</a>
      </p>
    </section>
  );
}

function stateText(state: string): string {
  return { done: "done", current: "in progress", waiting: "to come", failed: "failed" }[state] ?? state;
}
