// Where the app finds its user pool and its API. Served beside the app as /config.json: by the local
// cloud (its own same-origin routes) or, deployed, written by `make deploy-web` from the stack's outputs.

export interface AppConfig {
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  graphqlUrl: string;
  cognitoUrl: string;
}

const KEYS = ["region", "userPoolId", "userPoolClientId", "graphqlUrl", "cognitoUrl"] as const;

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`the app's configuration could not be loaded (HTTP ${response.status})`);
  }
  const document: unknown = await response.json();
  if (typeof document !== "object" || document === null) {
    throw new Error("the app's configuration is not a JSON object");
  }
  const values = document as Record<string, unknown>;
  const missing = KEYS.filter((key) => typeof values[key] !== "string" || values[key] === "");
  if (missing.length > 0) {
    throw new Error(`the app's configuration lacks ${missing.join(", ")}`);
  }
  return Object.fromEntries(KEYS.map((key) => [key, values[key]])) as unknown as AppConfig;
}
