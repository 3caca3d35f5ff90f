// C2B intake (docs/daraja.md#c2b): URL registration, validation (always accepted) and
// confirmations. A confirmation whose TransID is a known receipt is one more witness of that money,
// never a second sum (docs/daraja.md#receipts); new money is matched to an open payment by
// BillRefNumber and amount through the single payment writer, or becomes an `unmatched_c2b`
// exception. The raw row is stored first by the route.
import { and, asc, between, eq, exists, inArray, like, or, sql } from "drizzle-orm";
import {
  payments,
  rawCallbacks,
  receipts,
  statementLines,
  type CallbackOutcome,
  type Payment,
  type PaymentStatus,
  type RawCallback,
} from "../../../db/schema";
import type { Db } from "../../../db/client";
import type { Config } from "../../config.server";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { setOutcome } from "../ledger/raw-callbacks.server";
import { validateCallbackUrl } from "../daraja/callback-url";
import { openException } from "../ledger/cases.server";
import { caseKey } from "../ledger/payments.server";
import { applyReceiptMatch } from "../ledger/receipt-match.server";
import { txnTypeOf } from "../daraja/transaction-type";
import { lockReceipt, recordWitness } from "../ledger/receipts.server";
import { DARAJA_ACTOR } from "../ledger/events.server";
import { parseC2bConfirmation, type C2bConfirmation } from "./c2b-parse";
import {
  CANDIDATE_WINDOW_MS,
  TIME_TOLERANCE_MS,
  candidateEvidence,
  pickC2bCandidate,
} from "./match-rules";
import { msisdnMatches } from "./msisdn-match.server";

/** The two URLs Daraja should call for this deployment, and anything Daraja would refuse about them. */
export function c2bUrls(config: Config): {
  confirmationUrl: string;
  validationUrl: string;
  problems: string[];
} {
  const base = `${config.publicUrl}/hooks/daraja/c2b`;
  const confirmationUrl = `${base}/confirmation/${config.mpesa.callbackToken}`;
  const validationUrl = `${base}/validation/${config.mpesa.callbackToken}`;
  const problems = [
    ...new Set([
      ...validateCallbackUrl(confirmationUrl, config.mpesa.environment),
      ...validateCallbackUrl(validationUrl, config.mpesa.environment),
    ]),
  ];
  return { confirmationUrl, validationUrl, problems };
}

export async function registerC2bUrls(
  ctx: AppContext,
  input: { responseType?: "Completed" | "Cancelled" } = {},
) {
  const urls = c2bUrls(ctx.config);
  if (urls.problems.length)
    throw new AppError(
      "invalid_callback_url",
      `Daraja would refuse these URLs: ${urls.problems.join("; ")}`,
    );
  const answer = await ctx.daraja.registerC2bUrls({
    confirmationUrl: urls.confirmationUrl,
    validationUrl: urls.validationUrl,
    responseType: input.responseType ?? "Completed",
  });
  return { ...urls, answer };
}

/**
 * Held C2B confirmations whose receipt has since been vouched for (statement imported, a trusted
 * callback or query) are applied now, as if trusted. Run by the recovery job.
 */
export async function corroborateHeldC2b(ctx: AppContext): Promise<number> {
  const held = await ctx.db
    .select({ id: rawCallbacks.id })
    .from(rawCallbacks)
    .where(
      and(
        eq(rawCallbacks.kind, "c2b_confirmation"),
        eq(rawCallbacks.outcome, "applied"),
        eq(rawCallbacks.sourceTrusted, false),
        like(rawCallbacks.outcomeDetail, `${HELD_C2B_PREFIX}%`),
        or(
          exists(
            ctx.db
              .select({ one: sql`1` })
              .from(receipts)
              .where(eq(receipts.receipt, rawCallbacks.receipt)),
          ),
          exists(
            ctx.db
              .select({ one: sql`1` })
              .from(statementLines)
              .where(eq(statementLines.receipt, rawCallbacks.receipt)),
          ),
        ),
      ),
    )
    .orderBy(asc(rawCallbacks.id))
    .limit(200);
  for (const { id } of held) await processC2bConfirmation(ctx, id, { trustSource: true });
  return held.length;
}

async function loadRaw(ctx: AppContext, rawOrId: number | RawCallback) {
  if (typeof rawOrId !== "number") return rawOrId; // the applier hands over the row it claimed
  const [raw] = await ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, rawOrId));
  if (!raw) throw new AppError("not_found", "That callback does not exist.", { status: 404 });
  return raw;
}

/** The console accepts every C2B payment (a refusal sends the customer's money back); matching happens on confirmation. */
export async function processC2bValidation(
  ctx: AppContext,
  rawOrId: number | RawCallback,
): Promise<CallbackOutcome> {
  const raw = await loadRaw(ctx, rawOrId);
  const rawId = raw.id;
  const parsed = parseC2bConfirmation(Buffer.from(raw.body).toString("utf8"));
  if (!parsed.ok) {
    await setOutcome(
      ctx.db,
      rawId,
      "invalid",
      { outcomeDetail: `accepted, but unreadable: ${parsed.reason}` },
      ctx.now(),
    );
    return "invalid";
  }
  await setOutcome(
    ctx.db,
    rawId,
    "applied",
    {
      receipt: parsed.value.transId,
      outcomeDetail: `accepted ${formatKes(parsed.value.amountKes)} for "${parsed.value.billRefRaw}"`,
    },
    ctx.now(),
  );
  return "applied";
}

export const HELD_C2B_PREFIX = "held: untrusted source";

/** Some other, trusted witness of this receipt: a receipt row (callback, query, C2B) or a statement line. */
const corroborated = (tx: Db, receipt: string) =>
  tx
    .select({ one: sql`1` })
    .from(receipts)
    .where(eq(receipts.receipt, receipt))
    .union(
      tx
        .select({ one: sql`1` })
        .from(statementLines)
        .where(eq(statementLines.receipt, receipt)),
    )
    .limit(1)
    .then((rows) => rows.length > 0);

const CANDIDATE_STATUSES: PaymentStatus[] = ["pending", "unknown", "expired"];

/** A payment that could take new C2B money: open, or paid by STK Query and waiting for its receipt. */
const isCandidate = (p: Payment) =>
  CANDIDATE_STATUSES.includes(p.status) || (p.status === "paid" && p.receiptPending);

/** `isCandidate`, with the confirmation's amount and time window, as a query. */
const candidateFilter = (c: C2bConfirmation) =>
  and(
    or(
      inArray(payments.status, CANDIDATE_STATUSES),
      and(eq(payments.status, "paid"), eq(payments.receiptPending, true)),
    ),
    eq(payments.amountKes, c.amountKes),
    between(
      payments.createdAt,
      new Date(c.transactionAt.getTime() - CANDIDATE_WINDOW_MS),
      new Date(c.transactionAt.getTime() + TIME_TOLERANCE_MS),
    ),
  );

/** Which of these payments the confirmation names (match-rules.ts pickC2bCandidate). */
function pickFor(c: C2bConfirmation, candidates: Payment[]) {
  const phoneKnown = c.msisdn.kind !== "unknown";
  return pickC2bCandidate(
    candidates.map((p) =>
      candidateEvidence(
        { amountKes: c.amountKes, at: c.transactionAt, ref: c.billRefRaw },
        p,
        phoneKnown ? msisdnMatches(p.phone, c.msisdn) : null,
      ),
    ),
  );
}

export async function processC2bConfirmation(
  ctx: AppContext,
  rawOrId: number | RawCallback,
  options: { trustSource?: boolean } = {},
): Promise<CallbackOutcome> {
  const raw = await loadRaw(ctx, rawOrId);
  const rawId = raw.id;
  const parsed = parseC2bConfirmation(Buffer.from(raw.body).toString("utf8"));
  if (!parsed.ok) {
    await setOutcome(ctx.db, rawId, "invalid", { outcomeDetail: parsed.reason }, ctx.now());
    return "invalid";
  }
  const c = parsed.value;
  return ctx.db.transaction(async (tx) => {
    // Locks in the ledger's one order (callbacks/stk-batch.server.ts): payments, then the receipt. The
    // STK gate holds its payment when it locks the receipt, so locking the receipt first here would
    // deadlock a callback with its own confirmation. The payments this money may be for are found
    // without a lock and locked; under their locks their status cannot change, so the choice made
    // from them below is current. A payment that only became a candidate after this first look is
    // left out, as if this confirmation had been applied just before it did.
    const fits = await tx.select().from(payments).where(candidateFilter(c));
    const ids = pickFor(c, fits).eligible.map((e) => e.paymentId);
    const lockedCandidates = ids.length
      ? await tx
          .select()
          .from(payments)
          .where(inArray(payments.id, ids))
          .orderBy(asc(payments.id))
          .for("no key update")
      : [];
    // Daraja retries and STK's own confirmation of the same receipt may arrive together.
    // (the receipt lock every receipt writer takes: ledger/receipts.server.ts)
    await lockReceipt(tx, c.transId);
    const now = ctx.now();
    await tx.update(rawCallbacks).set({ phoneKind: c.phoneKind }).where(eq(rawCallbacks.id, rawId));
    if (
      raw.sourceTrusted === false &&
      !options.trustSource &&
      !(await corroborated(tx, c.transId))
    ) {
      // The STK rule (callbacks are unsigned): money claimed from an address outside
      // MPESA_CALLBACK_ALLOWED_IPS settles nothing until another witness vouches for the receipt —
      // the organisation statement, or the same receipt from a trusted source. Held rows are looked
      // at again by the recovery job (corroborateHeldC2b) and can be re-processed from the console.
      await setOutcome(
        tx,
        rawId,
        "applied",
        {
          receipt: c.transId,
          outcomeDetail: `${HELD_C2B_PREFIX} (${raw.sourceIp}): ${formatKes(c.amountKes)} for "${c.billRefRaw.trim()}" is held until the statement or a trusted witness shows receipt ${c.transId}`,
        },
        now,
      );
      return "applied";
    }
    const witness = {
      billRefRaw: c.billRefRaw,
      billRefNorm: c.billRefNorm,
      msisdnRaw: c.msisdn.raw || null,
      msisdnKind: c.msisdn.kind,
      payerName: c.payerName,
    };
    const { created, row: known } = await recordWitness(tx, {
      receipt: c.transId,
      amountKes: c.amountKes,
      phone: c.phone,
      phoneKind: c.phoneKind,
      transactionAt: c.transactionAt,
      source: "c2b",
      txnType: txnTypeOf(c.transactionType),
      ...witness,
    });

    if (!created) {
      const ids = { receipt: c.transId, paymentId: known.paymentId };
      if (known.amountKes !== c.amountKes) {
        await openException(tx, DARAJA_ACTOR, {
          type: "amount_mismatch",
          dedupeKey: caseKey("amount_mismatch", { receipt: c.transId }),
          paymentId: known.paymentId,
          rawCallbackId: rawId,
          receipt: c.transId,
          amountAtStakeKes: Math.max(known.amountKes, c.amountKes),
          summary: `The C2B confirmation says ${formatKes(c.amountKes)} for receipt ${c.transId}; the ${known.firstSource.replace("_", " ")} said ${formatKes(known.amountKes)}`,
          details: {
            c2b: { amountKes: c.amountKes, transactionAt: c.transactionAt.toISOString() },
            recorded: { amountKes: known.amountKes, firstSource: known.firstSource },
          },
        });
        await setOutcome(
          tx,
          rawId,
          "conflict",
          { ...ids, outcomeDetail: "known receipt with a different amount" },
          now,
        );
        return "conflict";
      }
      await setOutcome(
        tx,
        rawId,
        "duplicate",
        {
          ...ids,
          outcomeDetail: `receipt already known (first seen in ${known.firstSource}); recorded as another witness, not a second payment`,
        },
        now,
      );
      return "duplicate";
    }

    const { chosen, eligible } = pickFor(c, lockedCandidates.filter(isCandidate));
    // Money no payment took: an unmatched_c2b case (naming the payment it fits, when one does).
    const unplacedMoney = (why: string, on: { paymentId?: string } = {}) =>
      openException(tx, DARAJA_ACTOR, {
        type: "unmatched_c2b",
        dedupeKey: `unmatched_c2b:${c.transId}`,
        paymentId: on.paymentId,
        rawCallbackId: rawId,
        receipt: c.transId,
        amountAtStakeKes: c.amountKes,
        summary: `${formatKes(c.amountKes)} paid by C2B (receipt ${c.transId}, BillRefNumber "${c.billRefRaw.trim()}") ${why}`,
        details: {
          billRefRaw: c.billRefRaw,
          billRefNorm: c.billRefNorm,
          msisdnKind: c.msisdn.kind,
          payerName: c.payerName,
          transactionAt: c.transactionAt.toISOString(),
          candidates: eligible,
        },
      });
    if (chosen) {
      const applied = await applyReceiptMatch(tx, DARAJA_ACTOR, {
        paymentId: chosen.paymentId,
        receipt: c.transId,
        amountKes: c.amountKes,
        transactionAt: c.transactionAt,
        phone: c.msisdn.plain ?? null,
        source: "c2b",
        confirmedByStaff: false,
        now,
        rawCallbackId: rawId,
        evidence: `C2B confirmation ${c.transId} (${formatKes(c.amountKes)}, BillRefNumber "${c.billRefRaw.trim()}")`,
      });
      const outcome: CallbackOutcome =
        applied.outcome === "conflict" || applied.outcome === "late_success"
          ? "conflict"
          : "applied";
      // Money the payment could not take (a receipt number that is not one, the payment paid
      // meanwhile) and no case about it: it goes in front of a person like any unplaced money.
      if (applied.outcome === "conflict" && !applied.exceptionId)
        await unplacedMoney(`could not be placed on the payment it fits: ${applied.summary}`, {
          paymentId: chosen.paymentId,
        });
      await setOutcome(
        tx,
        rawId,
        outcome,
        { receipt: c.transId, paymentId: chosen.paymentId, outcomeDetail: applied.summary },
        now,
      );
      return outcome;
    }

    await unplacedMoney(
      `matches ${eligible.length ? `${eligible.length} open payments, not one` : "no open payment"}`,
    );
    await setOutcome(
      tx,
      rawId,
      "orphan",
      {
        receipt: c.transId,
        outcomeDetail: "no single open payment has this BillRefNumber and amount",
      },
      now,
    );
    return "orphan";
  });
}
