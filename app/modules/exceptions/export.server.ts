// The exception queue as a CSV download: the page's filters, 200 rows a page by keyset cursor,
// streamed (a 100,000-row export never sits in memory). Times are EAT with the offset written out.
import type { Db } from "../../../db/client";
import { allPages, csvResponse, eatTimestamp, type CsvColumn } from "../../lib/csv-export.server";
import { typeTitle } from "./actions";
import { listExceptions, type ExceptionView } from "./queries.server";

const COLUMNS: CsvColumn<ExceptionView>[] = [
  { header: "exception_id", value: (x) => x.id },
  { header: "opened_at_eat", value: (x) => eatTimestamp(x.openedAt) },
  { header: "type", value: (x) => x.type },
  { header: "type_title", value: (x) => typeTitle(x.type) },
  { header: "status", value: (x) => x.status },
  { header: "amount_at_stake_kes", value: (x) => x.amountAtStake },
  { header: "summary", value: (x) => x.summary },
  { header: "payment_id", value: (x) => x.paymentId },
  { header: "receipt", value: (x) => x.receipt },
  { header: "resolution", value: (x) => x.resolution },
  { header: "resolution_note", value: (x) => x.resolutionNote },
  { header: "resolved_at_eat", value: (x) => eatTimestamp(x.resolvedAt) },
  { header: "reopen_count", value: (x) => x.reopenCount },
];

export async function exportExceptionsCsv(
  db: Db,
  filters: Record<string, string | undefined>,
  fileName: string,
): Promise<Response> {
  const page = (cursor?: string) => listExceptions(db, { ...filters, limit: 200, cursor });
  // The first page is read before answering, so bad filters are a 400 rather than a cut-off file.
  const first = await page();
  const rows = allPages(async (cursor) => {
    const { exceptions, nextCursor } = cursor ? await page(cursor) : first;
    return { rows: exceptions, nextCursor };
  });
  return csvResponse(fileName, COLUMNS, rows);
}
