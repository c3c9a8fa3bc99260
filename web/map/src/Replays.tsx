import { useEffect, useState } from "preact/hooks";

import { type Replay, type ReplayOutcome, loadReplays, replay } from "./api";

export function Replays() {
  const [replays, setReplays] = useState<Replay[]>([]);
  const [outcomes, setOutcomes] = useState<Record<string, ReplayOutcome | string>>({});
  const [running, setRunning] = useState<string | null>(null);

  useEffect(() => {
    loadReplays().then(setReplays, (error: unknown) => setOutcomes({ "": String(error) }));
  }, []);

  async function run(name: string) {
    setRunning(name);
    try {
      const outcome = await replay(name);
      setOutcomes((previous) => ({ ...previous, [name]: outcome }));
    } catch (error) {
      setOutcomes((previous) => ({
        ...previous,
        [name]: error instanceof Error ? error.message : String(error),
      }));
    } finally {
      setRunning(null);
    }
  }

  return (
    <ul class="replays">
      {replays.map((item) => {
        const outcome = outcomes[item.name];
        return (
          <li key={item.name} data-replay={item.name}>
            <h3>{item.title}</h3>
            <p>
              <strong>Attacker:</strong> {item.attacker}
            </p>
            <p>
              <strong>Should be refused by:</strong> {item.boundary}
            </p>
            <button type="button" disabled={running !== null} onClick={() => void run(item.name)}>
              {running === item.name ? "Replaying…" : "Replay"}
            </button>
            <p aria-live="polite" class="replay-outcome">
              {typeof outcome === "string" ? (
                <span class="denied">Could not replay: {outcome}</span>
              ) : outcome ? (
                <span class={outcome.refused ? "refused" : "not-refused"}>
                  {outcome.refused ? "Refused: " : "NOT refused, a boundary is open: "}
                  {outcome.answer}
                </span>
              ) : null}
            </p>
          </li>
        );
      })}
    </ul>
  );
}
