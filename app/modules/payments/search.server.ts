// Global search: whatever a person pastes — a receipt, a CheckoutRequestID or MerchantRequestID, an
// order reference, a phone number in any format, a payment id — lands on the payment. Every lookup
// is an equality on an indexed column (docs/daraja.md#stk-push-response: the IDs are opaque text,
// so they are matched exactly).
import { and, desc, eq, inArray, like } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../../../db/client";
import { payments, receipts, stkAttempts } from "../../../db/schema";
import { parseMaskedMsisdn } from "../../lib/msisdn";
import { phoneSearchVariants } from "../daraja/phone";
import { toPaymentSummary, type PaymentSummary } from "./queries.server";
import { UUID } from "../../lib/uuid";

export type SearchKind =
  | "payment_id"
  | "receipt"
  | "checkout_request_id"
  | "merchant_request_id"
  | "order_ref"
  | "account_reference"
  | "phone"
  | "masked_phone";
export type SearchHit = PaymentSummary & { matchedBy: SearchKind[] };
export type SearchResult = {
  query: string;
  kinds: SearchKind[];
  payments: SearchHit[];
  truncated: boolean;
};

/** Enough for a busy customer's history; more than this belongs on the filtered payments list. */
export const SEARCH_LIMIT = 50;

const RECEIPT = /^[A-Z0-9]{10}$/i; // M-Pesa receipts: 10 letters and digits, e.g. SGR7ABC123
const TOKEN = /^\S+$/;

type Lookup = { kind: SearchKind; ids: Promise<string[]> };

const idsOf = async (rows: Promise<{ id: string | null }[]>) =>
  (await rows).map((r) => r.id).filter((id): id is string => !!id);

/** Which identifier kinds a query could be. Order refs are free text, so every query is tried as one: as typed,
 * upper- and lower-cased (the index is on the text as stored, so no case-folding scan). */
function lookupsFor(db: Db, query: string): Lookup[] {
  const lookups: Lookup[] = [];
  const byPayment = (column: AnyPgColumn, values: string[]) =>
    idsOf(
      db
        .select({ id: payments.id })
        .from(payments)
        .where(inArray(column, values))
        .orderBy(desc(payments.createdAt))
        .limit(SEARCH_LIMIT + 1),
    );
  const byAttempt = (column: AnyPgColumn, value: string) =>
    idsOf(
      db
        .selectDistinct({ id: stkAttempts.paymentId })
        .from(stkAttempts)
        .where(eq(column, value))
        .limit(SEARCH_LIMIT + 1),
    );

  if (UUID.test(query))
    lookups.push({ kind: "payment_id", ids: byPayment(payments.id, [query.toLowerCase()]) });
  if (RECEIPT.test(query)) {
    const receipt = query.toUpperCase();
    // A receipt may sit on the payment (paid) or only in the ledger (late success, amount mismatch).
    lookups.push({
      kind: "receipt",
      ids: Promise.all([
        byPayment(payments.receipt, [receipt]),
        idsOf(
          db.select({ id: receipts.paymentId }).from(receipts).where(eq(receipts.receipt, receipt)),
        ),
      ]).then(([a, b]) => [...a, ...b]),
    });
  }
  if (TOKEN.test(query) && query.length >= 8) {
    lookups.push({
      kind: "checkout_request_id",
      ids: byAttempt(stkAttempts.checkoutRequestId, query),
    });
    if (query.includes("-"))
      lookups.push({
        kind: "merchant_request_id",
        ids: byAttempt(stkAttempts.merchantRequestId, query),
      });
  }
  const msisdn = phoneSearchVariants(query);
  if (msisdn) {
    lookups.push({
      kind: "phone",
      ids: Promise.all([
        byPayment(payments.phone, [msisdn]),
        // A re-sent prompt may have gone to a corrected number; the old one still finds the payment.
        byAttempt(stkAttempts.phone, msisdn),
      ]).then(([a, b]) => [...a, ...b]),
    });
  }
  const masked = parseMaskedMsisdn(query);
  if (masked) {
    // The console's own masked form finds every payment it could stand for (a list, never one).
    const fits = (column: AnyPgColumn) =>
      and(like(column, `${masked.prefix}%`), like(column, `%${masked.suffix}`));
    lookups.push({
      kind: "masked_phone",
      ids: Promise.all([
        idsOf(
          db
            .select({ id: payments.id })
            .from(payments)
            .where(fits(payments.phone))
            .orderBy(desc(payments.createdAt))
            .limit(SEARCH_LIMIT + 1),
        ),
        idsOf(
          db
            .selectDistinct({ id: stkAttempts.paymentId })
            .from(stkAttempts)
            .where(fits(stkAttempts.phone))
            .limit(SEARCH_LIMIT + 1),
        ),
      ]).then(([a, b]) => [...a, ...b]),
    });
  }
  // AccountReference: the order reference as the customer's phone showed it (12 letters/digits).
  if (/^[A-Za-z0-9]{1,12}$/.test(query))
    lookups.push({
      kind: "account_reference",
      ids: byPayment(payments.accountReference, [
        ...new Set([query, query.toUpperCase(), query.toLowerCase()]),
      ]),
    });
  if (query.length <= 64)
    lookups.push({
      kind: "order_ref",
      ids: byPayment(payments.orderRef, [
        ...new Set([query, query.toUpperCase(), query.toLowerCase()]),
      ]),
    });
  return lookups;
}

/** A search for a customer's number, whole or in the console's masked form. */
export function isPhoneQuery(q: string): boolean {
  const query = q.trim();
  return !!phoneSearchVariants(query) || !!parseMaskedMsisdn(query);
}

export async function searchPayments(db: Db, q: string): Promise<SearchResult> {
  const query = (typeof q === "string" ? q : "")
    .trim()
    .replace(/^["']|["']$/g, "")
    .slice(0, 200);
  if (!query) return { query, kinds: [], payments: [], truncated: false };
  const lookups = lookupsFor(db, query);
  const found = await Promise.all(lookups.map(async (l) => ({ kind: l.kind, ids: await l.ids })));

  const matchedBy = new Map<string, SearchKind[]>();
  for (const { kind, ids } of found) {
    for (const id of ids) matchedBy.set(id, [...new Set([...(matchedBy.get(id) ?? []), kind])]);
  }
  const ids = [...matchedBy.keys()];
  if (!ids.length)
    return { query, kinds: lookups.map((l) => l.kind), payments: [], truncated: false };
  const rows = await db
    .select()
    .from(payments)
    .where(inArray(payments.id, ids)) // at most a few hundred ids: each lookup stops at SEARCH_LIMIT + 1
    .orderBy(desc(payments.createdAt), desc(payments.id))
    .limit(SEARCH_LIMIT);
  return {
    query,
    kinds: lookups.map((l) => l.kind),
    payments: rows.map((p) => ({ ...toPaymentSummary(p), matchedBy: matchedBy.get(p.id) ?? [] })),
    truncated: ids.length > SEARCH_LIMIT,
  };
}
