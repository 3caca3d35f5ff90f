// The raw callback log as a CSV download (finance/admin): the page's filters, streamed page by page.
// The body goes out as received (decoded as UTF-8), so the export is an audit copy of the log.
import type { Db } from "../../../db/client";
import { allPages, csvResponse, eatTimestamp, type CsvColumn } from "../../lib/csv-export.server";
import type { CallbackListInput } from "./list-params";
import { listCallbacks, type CallbackView } from "./queries.server";

const COLUMNS: CsvColumn<CallbackView>[] = [
  { header: "callback_id", value: (c) => c.id },
  { header: "received_at_eat", value: (c) => eatTimestamp(c.receivedAt) },
  { header: "kind", value: (c) => c.kind },
  { header: "outcome", value: (c) => c.outcome },
  { header: "outcome_detail", value: (c) => c.outcomeDetail },
  { header: "checkout_request_id", value: (c) => c.checkoutRequestId },
  { header: "receipt", value: (c) => c.receipt },
  { header: "payment_id", value: (c) => c.paymentId },
  { header: "source_ip", value: (c) => c.sourceIp },
  { header: "source_trusted", value: (c) => (c.sourceTrusted === null ? "" : c.sourceTrusted) },
  { header: "token_valid", value: (c) => c.tokenValid },
  { header: "size_bytes", value: (c) => c.sizeBytes },
  { header: "body", value: (c) => c.body },
];

export async function exportCallbacksCsv(
  db: Db,
  filters: CallbackListInput,
  fileName: string,
): Promise<Response> {
  const page = (cursor?: string) => listCallbacks(db, { ...filters, limit: 200, cursor });
  const first = await page();
  const rows = allPages(async (cursor) => {
    const { callbacks, nextCursor } = cursor ? await page(cursor) : first;
    return { rows: callbacks, nextCursor };
  });
  return csvResponse(fileName, COLUMNS, rows);
}
