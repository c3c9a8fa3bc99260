// Columns from who acts to what is acted on: callers, the front doors, AppSync's data sources, the
// loyalty API and the saga, the functions, then the data.

import type { StackNode } from "./api";

export const NODE_WIDTH = 204;
export const NODE_HEIGHT = 44;
const COLUMN_GAP = 58;
const ROW_GAP = 20;
const MARGIN = 16;
/** Room on the right for the arcs between nodes of the last column (a topic and its queue). */
const RIGHT_MARGIN = 56;

const COLUMNS: Record<string, number> = {
  actor: 0,
  "user-pool": 1,
  "graphql-api": 1,
  "data-source": 2,
  "rest-api": 3,
  "state-machine": 3,
  function: 4,
  table: 5,
  topic: 5,
  queue: 5,
};

export interface Placed {
  node: StackNode;
  x: number;
  y: number;
}

export interface Layout {
  width: number;
  height: number;
  placed: Map<string, Placed>;
}

export function layout(nodes: StackNode[]): Layout {
  const columns: StackNode[][] = [];
  for (const node of nodes) {
    const column = COLUMNS[node.kind] ?? 5;
    (columns[column] ??= []).push(node);
  }
  const rows = Math.max(...columns.map((column) => column?.length ?? 0));
  const height = MARGIN * 2 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const placed = new Map<string, Placed>();
  columns.forEach((column, index) => {
    const used = column.length * NODE_HEIGHT + (column.length - 1) * ROW_GAP;
    const top = (height - used) / 2;
    column.forEach((node, row) => {
      placed.set(node.id, {
        node,
        x: MARGIN + index * (NODE_WIDTH + COLUMN_GAP),
        y: top + row * (NODE_HEIGHT + ROW_GAP),
      });
    });
  });
  const width = MARGIN + RIGHT_MARGIN + columns.length * NODE_WIDTH + (columns.length - 1) * COLUMN_GAP;
  return { width, height, placed };
}

/** A curve from one node to another, leaving and entering on the sides that face each other. */
export function edgePath(from: Placed, to: Placed): string {
  const fromY = from.y + NODE_HEIGHT / 2;
  const toY = to.y + NODE_HEIGHT / 2;
  if (from.x === to.x) {
    const x = from.x + NODE_WIDTH;
    return `M ${x} ${fromY} C ${x + 36} ${fromY}, ${x + 36} ${toY}, ${x} ${toY}`;
  }
  const forward = to.x > from.x;
  const startX = forward ? from.x + NODE_WIDTH : from.x;
  const endX = forward ? to.x : to.x + NODE_WIDTH;
  const bend = (endX - startX) / 2;
  return `M ${startX} ${fromY} C ${startX + bend} ${fromY}, ${endX - bend} ${toY}, ${endX} ${toY}`;
}
