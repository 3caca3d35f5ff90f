// The intake benchmarks' data: N pending payments with one attempt each (CheckoutRequestID
// ws_CO_BENCH00000000…), and the success callback Daraja would send for attempt i.
import postgres from "postgres";
import { openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";

export function stkBody(i: number): string {
  return JSON.stringify({
    Body: {
      stkCallback: {
        MerchantRequestID: `m-${i}`,
        CheckoutRequestID: `ws_CO_BENCH${String(i).padStart(8, "0")}`,
        ResultCode: 0,
        ResultDesc: "The service request is processed successfully.",
        CallbackMetadata: {
          Item: [
            { Name: "Amount", Value: 100 },
            { Name: "MpesaReceiptNumber", Value: `BEN${String(i).padStart(7, "0")}` },
            { Name: "Balance" },
            { Name: "TransactionDate", Value: 20251124101539 },
            { Name: "PhoneNumber", Value: 254712345678 },
          ],
        },
      },
    },
  });
}

/** Migrates `url` and adds `n` pending payments, each with one attempt awaiting its callback. */
export async function seedPendingAttempts(url: string, n: number): Promise<void> {
  const database = await openDatabase({ databaseUrl: url });
  await migrate(database.db);
  await database.close();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`insert into payments (id, order_ref, amount_kes, phone, description, account_reference, status)
    select md5('p' || g)::uuid, 'BENCH-' || g, 100, '254712345678', '', 'BENCH' || g, 'pending' from generate_series(0, ${n - 1}) g`;
  await sql`insert into stk_attempts (payment_id, seq, phone, amount_kes, status, checkout_request_id)
    select md5('p' || g)::uuid, 1, '254712345678', 100, 'pending', 'ws_CO_BENCH' || lpad(g::text, 8, '0') from generate_series(0, ${n - 1}) g`;
  await sql.end();
}
