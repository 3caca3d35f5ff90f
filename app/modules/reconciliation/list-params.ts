// The reconciliation lists' query strings (the imports page's cursor; an import's lines by match
// state), parsed once in the route; the queries take the typed result. Pure.
import { z } from "zod";
import { pageLimit, type WithDefaults } from "../../lib/validation";
import { MATCH_STATES } from "./match-states";

export const IMPORT_PAGE_SIZE = 20;
export const LINE_PAGE_SIZE = 50;

const optionalText = z.string().trim().min(1).optional().catch(undefined);

export const ImportListSchema = z.object({
  cursor: optionalText,
  limit: pageLimit(100, IMPORT_PAGE_SIZE),
});
/** listStatementImports' input; limit may be left out. */
export type ImportListInput = WithDefaults<z.output<typeof ImportListSchema>, "limit">;

export const LineFiltersSchema = z.object({
  state: z
    .enum([...MATCH_STATES, "all"], {
      message: `state must be one of all, ${MATCH_STATES.join(", ")}`,
    })
    .default("all"),
  cursor: optionalText,
  limit: pageLimit(200, LINE_PAGE_SIZE),
});
/** listStatementLines' input; state (all) and limit may be left out. */
export type LineListInput = WithDefaults<z.output<typeof LineFiltersSchema>, "state" | "limit">;
