// A success callback from outside the allow-list (docs/daraja.md#callback-delivery). Callbacks are
// unsigned, so such a callback is a claim, not evidence: while the attempt is open it is held and STK
// Query asked at once; after the attempt's final answer (the poller no longer asks) it goes in front
// of a person. Its receipt and amount are never booked on its word: a query's 0 vouches that the
// customer paid, not for the receipt a stranger wrote, so the payment is paid with its receipt still
// to come and a trusted witness (a callback from the allow-list, a C2B confirmation, the statement,
// Transaction Status) supplies it.
import { and, asc, eq, like } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  payments,
  rawCallbacks,
  stkAttempts,
  type CallbackOutcome,
  type RawCallback,
} from "../../../db/schema";
import { formatKes } from "../../lib/money";
import { openException } from "../ledger/cases.server";
import { addPaymentEvent, type EventActor } from "../ledger/events.server";
import { lockPayment } from "../ledger/payment-lock.server";
import { setOutcome } from "../ledger/raw-callbacks.server";
import { OPEN_ATTEMPT_STATES } from "../ledger/transitions";

type Ids = { checkoutRequestId: string; receipt: string | null };

/** Holds an untrusted success for STK Query, or (the attempt already final) opens a case. */
export async function holdUntrustedSuccess(
  tx: Db,
  now: Date,
  actor: EventActor,
  input: {
    raw: RawCallback;
    ids: Ids;
    amountKes: number | null;
    attempt: { id: string; paymentId: string };
  },
): Promise<CallbackOutcome> {
  const { raw, ids, attempt } = input;
  // Locked in the house order (payment, then attempt), as the poller's answer locks them: a query
  // answer being recorded either sees this hold or is seen here as final.
  await lockPayment(tx, attempt.paymentId);
  const [row] = await tx
    .select({ status: stkAttempts.status, amountKes: stkAttempts.amountKes })
    .from(stkAttempts)
    .where(eq(stkAttempts.id, attempt.id))
    .for("update");
  const link = { ...ids, attemptId: attempt.id, paymentId: attempt.paymentId };
  if (row && OPEN_ATTEMPT_STATES.includes(row.status)) {
    await tx
      .update(stkAttempts)
      .set({ sourceUntrustedSuccess: true, nextPollAt: now, updatedAt: now })
      .where(eq(stkAttempts.id, attempt.id));
    await addPaymentEvent(tx, actor, {
      paymentId: attempt.paymentId,
      attemptId: attempt.id,
      rawCallbackId: raw.id,
      type: "callback",
      summary: `Success callback from an address outside the allow-list (${raw.sourceIp}); confirming with STK Query before it counts`,
    });
    await setOutcome(
      tx,
      raw.id,
      "applied",
      { ...link, outcomeDetail: "held: untrusted source, awaiting STK Query confirmation" },
      now,
    );
    return "applied";
  }
  // The attempt has its final answer: STK Query would only repeat it, so nothing would ever look at
  // this callback again. A person checks with M-Pesa; nothing is booked on it (its receipt is not
  // claimed, so a forger cannot take a real receipt from the payment it belongs to).
  const status = row?.status ?? "unknown";
  const claimed = `receipt ${ids.receipt ?? "none"}${input.amountKes === null ? "" : `, ${formatKes(input.amountKes)}`}`;
  const summary = `A success callback (${claimed}) from an address outside the allow-list (${raw.sourceIp ?? "address unknown"}) arrived after the attempt was ${status}; nothing was booked on it: check with M-Pesa (Transaction Status or the statement)`;
  await addPaymentEvent(tx, actor, {
    paymentId: attempt.paymentId,
    attemptId: attempt.id,
    rawCallbackId: raw.id,
    type: "callback",
    summary,
  });
  await openException(tx, actor, {
    type: "conflicting_callback",
    // One per claimed receipt: a later claim (perhaps the genuine one) is not lost in a resolved case.
    dedupeKey: `conflicting_callback:${attempt.id}:untrusted:${(ids.receipt ?? "none").slice(0, 40)}`,
    paymentId: attempt.paymentId,
    attemptId: attempt.id,
    rawCallbackId: raw.id,
    amountAtStakeKes: status === "paid" ? 0 : (row?.amountKes ?? 0),
    summary,
    details: { sourceIp: raw.sourceIp, claimedReceipt: ids.receipt, attemptStatus: status },
  });
  await setOutcome(
    tx,
    raw.id,
    "conflict",
    {
      ...link,
      outcomeDetail: `untrusted source after the attempt was ${status}: a case for a person`,
    },
    now,
  );
  return "conflict";
}

/**
 * STK Query answered 0 for an attempt whose success callback was held: the payment is paid by the
 * query (receipt still to come); each held row says what it claimed and that it was not taken.
 * Returns how many were held.
 */
export async function noteHeldSuccess(
  tx: Db,
  actor: EventActor,
  input: { attemptId: string; paymentId: string; now: Date },
): Promise<number> {
  const held = await tx
    .select({ id: rawCallbacks.id, receipt: rawCallbacks.receipt })
    .from(rawCallbacks)
    .where(
      and(
        eq(rawCallbacks.attemptId, input.attemptId),
        eq(rawCallbacks.kind, "stk"),
        eq(rawCallbacks.sourceTrusted, false),
        like(rawCallbacks.outcomeDetail, "held:%"),
      ),
    )
    .orderBy(asc(rawCallbacks.id));
  for (const h of held)
    await setOutcome(
      tx,
      h.id,
      "applied",
      {
        outcomeDetail: `receipt ${h.receipt ?? "none"} not taken (untrusted source): STK Query confirmed the payment, its receipt is still to come`,
      },
      input.now,
    );
  if (held.length) {
    const [payment] = await tx
      .select({ receipt: payments.receipt })
      .from(payments)
      .where(eq(payments.id, input.paymentId));
    const receipts = [...new Set(held.map((h) => h.receipt ?? "none"))].join(", ");
    await addPaymentEvent(tx, actor, {
      paymentId: input.paymentId,
      attemptId: input.attemptId,
      type: "callback",
      summary: `STK Query confirmed the payment. The receipt ${receipts} named by the callback from outside the allow-list is unverified and was not recorded: ${payment?.receipt ? `the payment's receipt ${payment.receipt} came from a trusted witness` : "a callback from Safaricom's addresses, a C2B confirmation, the statement or Transaction Status supplies the receipt"}`,
    });
  }
  return held.length;
}
