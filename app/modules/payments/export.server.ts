// The payments list as a CSV download: the same filters as the page, pulled 200 rows at a time by
// keyset cursor and streamed, so a 100,000-row export never sits in memory. Times are EAT with the
// offset written out, so a spreadsheet and a reader agree on the instant.
import type { Db } from "../../../db/client";
import { allPages, csvResponse, eatTimestamp, type CsvColumn } from "../../lib/csv-export.server";
import { maskPhone } from "../daraja/phone";
import type { PaymentListInput } from "./list-filters";
import { listPayments, type PaymentSummary } from "./queries.server";

function columns(unmasked: boolean): CsvColumn<PaymentSummary>[] {
  return [
    { header: "payment_id", value: (p) => p.id },
    { header: "created_at_eat", value: (p) => eatTimestamp(p.createdAt) },
    { header: "order_ref", value: (p) => p.orderRef },
    { header: "amount_kes", value: (p) => p.amount },
    { header: "phone", value: (p) => (unmasked ? p.phone : maskPhone(p.phone)) },
    { header: "status", value: (p) => p.status },
    { header: "status_reason", value: (p) => p.statusReason },
    { header: "receipt", value: (p) => p.receipt },
    { header: "paid_at_eat", value: (p) => eatTimestamp(p.paidAt) },
  ];
}

export async function exportPaymentsCsv(
  db: Db,
  filters: PaymentListInput,
  options: { unmasked: boolean; fileName: string; pageSize?: number },
): Promise<Response> {
  const page = (cursor?: string) =>
    listPayments(db, { ...filters, limit: options.pageSize ?? 200, cursor });
  // The first page is read before answering, so bad filters are a 400, not a CSV cut off mid-stream.
  const first = await page();
  const rows = allPages(async (cursor) => {
    const { payments, nextCursor } = cursor ? await page(cursor) : first;
    return { rows: payments, nextCursor };
  });
  return csvResponse(options.fileName, columns(options.unmasked), rows);
}
