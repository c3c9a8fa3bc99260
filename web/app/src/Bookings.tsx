import { useEffect, useState } from "preact/hooks";

import type { AirlineApi, Booking } from "./api";
import { dateTime, money } from "./format";
import { Alert, Field, PageHeading, errorText } from "./ui";

interface Props {
  api: AirlineApi;
  onFailure: (error: unknown) => boolean;
}

export function Bookings({ api, onFailure }: Props) {
  const [items, setItems] = useState<Booking[] | null>(null);
  const [nextToken, setNextToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [lookup, setLookup] = useState("");

  async function load(token: string | null) {
    try {
      const page = await api.bookings(token);
      setItems((previous) => [...(token ? (previous ?? []) : []), ...page.items]);
      setNextToken(page.nextToken);
    } catch (caught) {
      if (!onFailure(caught)) setError(errorText(caught));
    }
  }

  useEffect(() => {
    void load(null);
  }, [api]);

  return (
    <section class="panel">
      <PageHeading>My bookings</PageHeading>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {items === null ? (
        <p aria-live="polite">Loading…</p>
      ) : items.length === 0 ? (
        <p>
          No bookings yet. <a href="#/search">Search flights</a>
        </p>
      ) : (
        <table class="bookings">
          <caption class="visually-hidden">Your bookings, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Flight</th>
              <th scope="col">Status</th>
              <th scope="col">Amount</th>
              <th scope="col">Reference</th>
              <th scope="col">Booked</th>
            </tr>
          </thead>
          <tbody>
            {items.map((booking) => (
              <tr key={booking.id}>
                <td data-label="Flight">
                  <a href={`#/bookings/${booking.id}`}>{booking.flightId}</a>
                </td>
                <td data-label="Status">
                  <span class={`badge badge-${booking.status.toLowerCase()}`}>{booking.status}</span>
                </td>
                <td data-label="Amount">{money(booking.amount, booking.currency)}</td>
                <td data-label="Reference">{booking.bookingReference ?? "–"}</td>
                <td data-label="Booked">{dateTime(booking.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nextToken ? (
        <button type="button" class="secondary" onClick={() => void load(nextToken)}>
          More bookings
        </button>
      ) : null}
      <form
        class="lookup"
        onSubmit={(event) => {
          event.preventDefault();
          window.location.hash = `#/bookings/${encodeURIComponent(lookup.trim())}`;
        }}
      >
        <Field id="booking-id" label="Open a booking by its id">
          <input
            id="booking-id"
            required
            value={lookup}
            onInput={(event) => setLookup(event.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="secondary">
          Open
        </button>
      </form>
    </section>
  );
}
