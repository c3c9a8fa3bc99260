import { useEffect, useRef, useState } from "preact/hooks";

import { type RoleView, loadRoles } from "./api";

interface Props {
  /** Grows with every decision: the view reloads when it changes (at most every few seconds). */
  decisionCount: number;
}

const STATUS_TEXT = { used: "used", unused: "not used yet", allowed: "kept, not used" } as const;
const RELOAD_MS = 3000;

export function Roles({ decisionCount }: Props) {
  const [roles, setRoles] = useState<RoleView[]>([]);
  const [chosen, setChosen] = useState("");
  const [error, setError] = useState<string | null>(null);
  const scheduled = useRef<number | null>(null);

  const reload = () =>
    loadRoles().then(
      (loaded) => {
        setRoles(loaded);
        setError(null);
      },
      (caught: unknown) => setError(String(caught)),
    );

  useEffect(() => {
    void reload();
    return () => window.clearTimeout(scheduled.current ?? undefined);
  }, []);

  // Decisions keep coming (the event source polls its queue): reload at most every few seconds.
  useEffect(() => {
    if (scheduled.current !== null) return;
    scheduled.current = window.setTimeout(() => {
      scheduled.current = null;
      void reload();
    }, RELOAD_MS);
  }, [decisionCount]);

  const role = roles.find((candidate) => candidate.role === chosen) ?? null;
  return (
    <div>
      {error ? <p class="denied">{error}</p> : null}
      <label for="role">Role</label>
      <select id="role" value={chosen} onChange={(event) => setChosen(event.currentTarget.value)}>
        <option value="">Choose a role…</option>
        {roles.map((candidate) => (
          <option key={candidate.role} value={candidate.role}>
            {candidate.role}
          </option>
        ))}
      </select>
      {role ? (
        <>
          <p>
            Acts for {role.usedBy.join(", ") || "nothing in the stack"}.{" "}
            {role.grants.filter((grant) => grant.status === "used").length} of {role.grants.length} grants
            used so far.
          </p>
          <table class="grants">
            <caption class="visually-hidden">Grants of {role.role}, used or not</caption>
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {role.grants.map((grant) => (
                <tr key={`${grant.policy} ${grant.action} ${grant.resource}`} class={`grant-${grant.status}`}>
                  <td class="mono">{grant.action}</td>
                  <td class="mono">{grant.resource}</td>
                  <td title={grant.reason ?? grant.policy}>{STATUS_TEXT[grant.status]}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {role.refused.length > 0 ? (
            <>
              <h3>Refused so far</h3>
              <ul>
                {role.refused.map((refusal) => (
                  <li key={`${refusal.action} ${refusal.resource}`} class="denied">
                    <span class="mono">{refusal.action}</span> on <span class="mono">{refusal.resource}</span>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
