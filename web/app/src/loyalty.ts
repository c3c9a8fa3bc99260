// Tiers as GetLoyalty reports them: bronze, silver, gold; remainingPoints is what the next one needs.

import type { Loyalty } from "./api";

const NEXT_TIER: Record<string, string> = { bronze: "silver", silver: "gold" };

export interface Progress {
  nextTier: string | null;
  /** 0..1 of the way from no points to the next tier's threshold. */
  fraction: number;
}

export function progress(loyalty: Loyalty): Progress {
  const nextTier = NEXT_TIER[loyalty.level.toLowerCase()] ?? null;
  if (nextTier === null || loyalty.remainingPoints <= 0) {
    return { nextTier: null, fraction: 1 };
  }
  return { nextTier, fraction: loyalty.points / (loyalty.points + loyalty.remainingPoints) };
}
