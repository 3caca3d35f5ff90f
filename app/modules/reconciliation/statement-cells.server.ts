// A stored statement line keeps every cell of its row as evidence: raw = { row, cells }. Cells are an
// array in the order of the import's `columns` (migration 0024); lines imported before keep them
// keyed by column name. Either way a cell is read here by its column's name.
import { sql, type SQL } from "drizzle-orm";
import { statementImports, statementLines } from "../../../db/schema";
import { normalizeName } from "./statement-parse.server";

/**
 * The raw cell under `column` of a line, in a query that joins the line's import. Column names compare
 * as the parser finds them ("Balance", "BALANCE", "balance:"), and the first such column wins.
 */
export function rawCell(column: string): SQL<string | null> {
  const cells = sql`${statementLines.raw} -> 'cells'`;
  const at = sql`(select (c.ord - 1)::int from jsonb_array_elements_text(${statementImports.columns})
    with ordinality as c(name, ord)
    where lower(regexp_replace(c.name, '[[:space:].:]', '', 'g')) = ${normalizeName(column)}::text
    order by c.ord limit 1)`;
  return sql<string | null>`coalesce(${cells} ->> ${column}::text, ${cells} ->> ${at})`;
}
