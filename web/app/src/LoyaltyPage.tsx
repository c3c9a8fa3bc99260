import { useEffect, useState } from "preact/hooks";

import type { AirlineApi, Loyalty } from "./api";
import { count } from "./format";
import { progress } from "./loyalty";
import { Alert, PageHeading, errorText } from "./ui";

const REFRESH_MS = 5000;

interface Props {
  api: AirlineApi;
  onFailure: (error: unknown) => boolean;
}

export function LoyaltyPage({ api, onFailure }: Props) {
  const [loyalty, setLoyalty] = useState<Loyalty | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  // Points arrive shortly after a booking is confirmed (through the loyalty queue): refresh while open.
  useEffect(() => {
    let timer: number | undefined;
    let stopped = false;
    const load = () =>
      api.loyalty().then(
        (current) => {
          if (stopped) return;
          setLoyalty(current);
          timer = window.setTimeout(load, REFRESH_MS);
        },
        (caught: unknown) => {
          if (!stopped && !onFailure(caught)) setError(errorText(caught));
        },
      );
    void load();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [api, onFailure]);

  return (
    <section class="panel narrow">
      <PageHeading>Loyalty</PageHeading>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {loyalty === undefined && !error ? <p aria-live="polite">Loading…</p> : null}
      {loyalty === null ? <p>No loyalty account yet: book a flight to start earning points.</p> : null}
      {loyalty ? <Summary loyalty={loyalty} /> : null}
      <p class="hint">
        You earn one point per cent (or penny) paid for a confirmed booking; cancelled bookings earn nothing.
      </p>
    </section>
  );
}

function Summary({ loyalty }: { loyalty: Loyalty }) {
  const { nextTier, fraction } = progress(loyalty);
  return (
    <>
      <p class={`tier tier-${loyalty.level.toLowerCase()}`}>
        <span class="tier-name" data-testid="loyalty-tier">
          {loyalty.level}
        </span>{" "}
        member
      </p>
      <p class="points">
        <strong data-testid="loyalty-points">{count(loyalty.points)}</strong> points
      </p>
      {nextTier ? (
        <>
          <label for="tier-progress">
            {count(loyalty.remainingPoints)} points to {nextTier}
          </label>
          <progress id="tier-progress" max={1} value={fraction}>
            {Math.round(fraction * 100)}%
          </progress>
        </>
      ) : (
        <p>You have reached the top tier.</p>
      )}
    </>
  );
}
