// The exception queue as a CSV download: the page's filters (status, type, age, amount, EAT day), 200 rows a page by keyset cursor,
// streamed (a 100,000-row export never sits in memory). Times are EAT with the offset written out.
import type { Db } from "../../../db/client";
import { redactDeep } from "../../lib/msisdn";
import { allPages, csvResponse, eatTimestamp, type CsvColumn } from "../../lib/csv-export.server";
import { typeTitle } from "./actions";
import { listExceptions, type ExceptionView } from "./queries.server";
import type { QueueFilters } from "./queue-filters";

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
  filters: QueueFilters,
  options: { fileName: string; now: Date; unmasked: boolean },
): Promise<Response> {
  // Summaries and notes can carry a phone number: masked for a role without phones:unmasked.
  const page = async (cursor?: string) => {
    const result = await listExceptions(db, { ...filters, limit: 200, cursor }, options.now);
    return options.unmasked ? result : redactDeep(result);
  };
  // The first page is read before answering, so bad filters are a 400 rather than a cut-off file.
  const first = await page();
  const rows = allPages(async (cursor) => {
    const { exceptions, nextCursor } = cursor ? await page(cursor) : first;
    return { rows: exceptions, nextCursor };
  });
  return csvResponse(options.fileName, COLUMNS, rows);
}
