// The states a statement line can be in after matching. Plain (no I/O) so pages can list them: a
// value imported from a `.server` file is emptied in the browser bundle.
export const MATCH_STATES = [
  "matched",
  "proposed",
  "exception",
  "unmatched",
  "reversal",
  "skipped",
  "new",
] as const;
export type MatchState = (typeof MATCH_STATES)[number];
