import type { Stack } from "./api";
import { NODE_HEIGHT, NODE_WIDTH, edgePath, layout } from "./layout";

export interface EdgeState {
  allowed: boolean;
  /** A decision on this edge arrived a moment ago. */
  fresh: boolean;
}

interface Props {
  stack: Stack;
  /** By "from>to": the latest decision between two nodes (drawn even where no grant or flow is). */
  observed: Map<string, EdgeState>;
  selected: string | null;
}

export const edgeKey = (from: string, to: string) => `${from}>${to}`;

export function MapView({ stack, observed, selected }: Props) {
  const { width, height, placed } = layout(stack.nodes);
  const declared = new Set(stack.edges.map((edge) => edgeKey(edge.from, edge.to)));
  const extra = [...observed.keys()].filter((key) => !declared.has(key));
  const edges = [
    ...stack.edges.map((edge) => ({
      key: edgeKey(edge.from, edge.to),
      from: edge.from,
      to: edge.to,
      kind: edge.kind,
      label: edge.label,
    })),
    ...extra.map((key) => {
      const [from = "", to = ""] = key.split(">");
      return { key, from, to, kind: "observed", label: "no grant: an attempt" };
    }),
  ];
  return (
    <svg
      class="stack-map"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby="map-title map-description"
    >
      <title id="map-title">The {stack.stack} stack</title>
      <desc id="map-description">
        Callers on the left, data on the right; lines are grants and event flows. A line turns green when a
        decision on it is allowed and red when it is denied; the list of decisions gives the same in words.
      </desc>
      <defs>
        {["plain", "allowed", "denied"].map((tone) => (
          <marker
            key={tone}
            id={`arrow-${tone}`}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerUnits="userSpaceOnUse"
            markerWidth="9"
            markerHeight="9"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class={`arrowhead arrowhead-${tone}`} />
          </marker>
        ))}
      </defs>
      {edges.map((edge) => {
        const from = placed.get(edge.from);
        const to = placed.get(edge.to);
        if (!from || !to) return null;
        const state = observed.get(edge.key);
        const outcome = state ? (state.allowed ? "edge-allowed" : "edge-denied") : "";
        const classes = [
          "edge",
          `edge-${edge.kind}`,
          outcome,
          state?.fresh ? "edge-fresh" : "",
          selected === edge.key ? "edge-selected" : "",
        ];
        return (
          <path
            key={edge.key}
            d={edgePath(from, to)}
            class={classes.filter(Boolean).join(" ")}
            data-edge={edge.key}
            marker-end={`url(#arrow-${state ? (state.allowed ? "allowed" : "denied") : "plain"})`}
          >
            <title>{`${edge.from} → ${edge.to}: ${edge.label}`}</title>
          </path>
        );
      })}
      {[...placed.values()].map(({ node, x, y }) => (
        <g
          key={node.id}
          class={`node node-${node.kind}`}
          data-node={node.id}
          transform={`translate(${x} ${y})`}
        >
          <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
          <text x="10" y={node.role ? 19 : 28} class="node-label">
            {node.label}
          </text>
          {node.role ? (
            <text x="10" y="36" class="node-role">
              role {node.role}
            </text>
          ) : null}
          <title>{node.role ? `${node.label}, acting as ${node.role}` : node.label}</title>
        </g>
      ))}
    </svg>
  );
}
