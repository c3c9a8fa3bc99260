// The map site's API (tools/localcloud/webapp/boundary_map.py), same origin only.

export interface StackNode {
  id: string;
  kind: string;
  label: string;
  role: string | null;
}

export interface StackEdge {
  from: string;
  to: string;
  kind: "grant" | "flow";
  label: string;
}

export interface Stack {
  stack: string;
  nodes: StackNode[];
  edges: StackEdge[];
}

export interface Decision {
  id: number;
  time: string;
  source: string;
  principal: string;
  principalLabel: string;
  action: string;
  resource: string;
  allowed: boolean;
  reason: string;
  from: string;
  to: string | null;
}

export interface Grant {
  action: string;
  resource: string;
  policy: string;
  status: "used" | "unused" | "allowed";
  reason?: string;
}

export interface RoleView {
  role: string;
  usedBy: string[];
  grants: Grant[];
  calledButNotGranted: { action: string; resource: string; why: string }[];
  refused: { action: string; resource: string; reason: string }[];
}

export interface Replay {
  name: string;
  title: string;
  attacker: string;
  boundary: string;
}

export interface ReplayOutcome {
  name: string;
  refused: boolean;
  answer: string;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return (await response.json()) as T;
}

export const loadStack = () => getJson<Stack>("/api/stack");
export const loadRoles = async () => (await getJson<{ roles: RoleView[] }>("/api/roles")).roles;
export const loadReplays = async () => (await getJson<{ replays: Replay[] }>("/api/replays")).replays;

let replayToken: Promise<string> | null = null;

/** Replays change the local account: the server takes them only with this page's token (and origin). */
export async function replay(name: string): Promise<ReplayOutcome> {
  replayToken ??= getJson<{ token: string }>("/api/session").then((session) => session.token);
  const response = await fetch(`/api/replays/${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Map-Token": await replayToken },
    body: "{}",
  });
  const body = (await response.json()) as ReplayOutcome & { message?: string };
  if (!response.ok) {
    throw new Error(body.message ?? `HTTP ${response.status}`);
  }
  return body;
}

/** Every decision, the recent ones first; the browser reconnects (from the last id) by itself. */
export function watchDecisions(
  onDecision: (decision: Decision) => void,
  onState: (live: boolean) => void,
): () => void {
  const source = new EventSource("/api/events");
  source.addEventListener("decision", (event) =>
    onDecision(JSON.parse((event as MessageEvent<string>).data) as Decision),
  );
  source.addEventListener("open", () => onState(true));
  source.addEventListener("error", () => onState(false));
  return () => source.close();
}
