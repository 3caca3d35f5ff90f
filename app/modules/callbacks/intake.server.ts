// Daraja callback intake, Medusa's way (docs/daraja.md#callback-delivery,
// #callback-before-response): store the raw request byte for byte and commit it (together with
// callbacks that arrive at the same moment: raw-log-writer.server.ts), then translate and apply it
// idempotently, then acknowledge. Duplicates, late, out of order, conflicting and
// unknown callbacks are expected; each raw row ends with its outcome.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  exceptions,
  rawCallbacks,
  stkAttempts,
  type CallbackOutcome,
  type RawCallback,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import type { HeaderReader } from "../../lib/body.server";
import type { Actor } from "../auth/staff-audit.server";
import { classifyStkResult } from "../daraja/result-codes";
import { resolveOpenCases } from "../ledger/cases.server";
import { applyStkEvidence, type StkEvidence } from "../ledger/payments.server";
import { DARAJA_ACTOR, type EventActor } from "../ledger/events.server";
import { extractIdentifiers, type CallbackKind } from "./identifiers";
import { setOutcome } from "../ledger/raw-callbacks.server";
import { noteCallbackGaps, recordOrphan, recordUnreadable } from "./stk-notes.server";
import { holdUntrustedSuccess } from "./untrusted.server";
import { parseStkCallback, type StkCallback } from "./parse";

export const MAX_CALLBACK_BYTES = 64 * 1024;
const KEPT_HEADERS = [
  "content-type",
  "content-length",
  "user-agent",
  "businessshortcode",
  "x-forwarded-for",
  "x-real-ip",
];

export type IncomingCallback = {
  kind: CallbackKind;
  tokenValid: boolean;
  body: Uint8Array;
  sizeBytes: number;
  headers: HeaderReader;
  sourceIp: string;
  refused?: string; // e.g. too large: stored (truncated) and answered 413
};

export function isTrustedSource(ctx: AppContext, ip: string): boolean | null {
  const allowed = ctx.config.mpesa.allowedIps;
  if (!allowed) return null; // the check is off
  const bare = ip.replace(/^::ffff:/, "");
  return allowed.some((entry) =>
    entry.endsWith(".") || entry.endsWith("*")
      ? bare.startsWith(entry.replace(/\*$/, ""))
      : bare === entry,
  );
}

/** The first write: durable before anything else happens, whatever the body is. */
export async function recordCallback(
  ctx: AppContext,
  incoming: IncomingCallback,
): Promise<RawCallback> {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = incoming.headers.get(name);
    if (value !== null) headers[name] = value.slice(0, 500);
  }
  const outcome: CallbackOutcome = !incoming.tokenValid
    ? "rejected"
    : incoming.refused
      ? "refused"
      : "received";
  return ctx.rawLog.write({
    kind: incoming.kind,
    receivedAt: ctx.now(),
    sourceIp: incoming.sourceIp,
    sourceTrusted: isTrustedSource(ctx, incoming.sourceIp),
    headers,
    body: incoming.body,
    sizeBytes: incoming.sizeBytes,
    tokenValid: incoming.tokenValid,
    outcome,
    outcomeDetail: !incoming.tokenValid
      ? "wrong callback token in the URL"
      : (incoming.refused ?? null),
    processedAt: outcome === "received" ? null : ctx.now(),
    // Findable at once by these, whatever happens next (a rejected request's body is not trusted
    // enough to be indexed under a real payment's identifiers).
    checkoutRequestId: null,
    merchantRequestId: null,
    receipt: null,
    conversationId: null,
    ...(incoming.tokenValid ? extractIdentifiers(incoming.kind, incoming.body) : {}),
  });
}

/** A stored STK callback read and classified: pure, no database (the batch applier reads many first). */
export type PreparedStk =
  | { ok: false; reason: string }
  | {
      ok: true;
      cb: StkCallback;
      result: ReturnType<typeof classifyStkResult>;
      /** No TransactionDate (2026: sometimes missing): the time the callback arrived stands in. */
      transactionAt: Date;
    };

// Decoding as the WHATWG Encoding Standard does skips a leading UTF-8 byte-order mark, which some
// proxies put in front of the JSON (Buffer#toString would keep it, and the parser refuse it).
const UTF8 = new TextDecoder("utf-8");

export function prepareStkCallback(raw: RawCallback): PreparedStk {
  const parsed = parseStkCallback(UTF8.decode(raw.body));
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  const cb = parsed.callback;
  return {
    ok: true,
    cb,
    result: classifyStkResult(cb.resultCode),
    transactionAt: cb.transactionAt ?? raw.receivedAt,
  };
}

/** What a prepared callback tells the gate, in the gate's words (one callback or a batch of them). */
export function callbackEvidence(
  prepared: Extract<PreparedStk, { ok: true }>,
  outcome: StkEvidence["outcome"],
): StkEvidence {
  const { cb, result, transactionAt } = prepared;
  return {
    source: "callback",
    outcome,
    resultCode: result.code,
    resultDesc: cb.resultDesc,
    receipt: cb.receipt,
    amountKes: cb.amountKes,
    amountProblem: cb.amountProblem,
    phoneKind: cb.phoneKind,
    transactionAt,
    // Null unless the callback carried a whole number: a masked one never replaces ours.
    phone: cb.phone,
  };
}

/** The lock every writer of a CheckoutRequestID's callback or push takes first (see below). */
export const checkoutLock = (checkoutRequestId: string) =>
  sql`select pg_advisory_xact_lock(hashtext(${checkoutRequestId}))`;

/** Translates and applies one stored STK callback. Safe to run again on the same row. */
export async function processStkCallback(
  ctx: AppContext,
  rawOrId: number | RawCallback,
  actor: EventActor = DARAJA_ACTOR,
): Promise<CallbackOutcome> {
  // The route hands over the row it just stored, saving a read on the hot path.
  const raw =
    typeof rawOrId === "number"
      ? (await ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, rawOrId)))[0]
      : rawOrId;
  if (!raw) throw new AppError("not_found", "That callback does not exist.", { status: 404 });
  const prepared = prepareStkCallback(raw);
  if (!prepared.ok)
    return ctx.db.transaction(async (tx) => {
      // Unreadable, but intake may have found its CheckoutRequestID: same lock as below.
      if (raw.checkoutRequestId) await tx.execute(checkoutLock(raw.checkoutRequestId));
      return recordUnreadable(tx, ctx.now(), raw, prepared.reason);
    });
  return ctx.db.transaction(async (tx) => {
    // Serialises with the push's own write of this CheckoutRequestID (initiate.server.ts): either we
    // find the attempt here, or the push finds our orphan row and re-matches it.
    await tx.execute(checkoutLock(prepared.cb.checkoutRequestId));
    const [attempt] = await tx
      .select({ id: stkAttempts.id, paymentId: stkAttempts.paymentId })
      .from(stkAttempts)
      .where(eq(stkAttempts.checkoutRequestId, prepared.cb.checkoutRequestId));
    return applyStkToAttempt(tx, ctx.now(), raw, prepared, attempt ?? null, actor);
  });
}

/**
 * The rest of `processStkCallback`, inside the caller's transaction, once the callback's
 * CheckoutRequestID is locked and its attempt (or none) looked up. The batch applier
 * (stk-batch.server.ts) locks and looks up a whole batch at once, then calls this for each callback.
 */
export async function applyStkToAttempt(
  tx: Db,
  now: Date,
  raw: RawCallback,
  prepared: Extract<PreparedStk, { ok: true }>,
  attempt: { id: string; paymentId: string } | null,
  actor: EventActor = DARAJA_ACTOR,
): Promise<CallbackOutcome> {
  const { cb, result, transactionAt } = prepared;
  const rawId = raw.id;
  const ids = {
    checkoutRequestId: cb.checkoutRequestId,
    receipt: cb.receipt,
    phoneKind: cb.phoneKind,
  };
  if (!attempt) {
    await recordOrphan(tx, raw, { ...cb, transactionAt }, result.outcome === "paid");
    await setOutcome(
      tx,
      rawId,
      "orphan",
      { ...ids, outcomeDetail: "no attempt has this CheckoutRequestID" },
      now,
    );
    return "orphan";
  }
  if (result.outcome === "pending") {
    await setOutcome(
      tx,
      rawId,
      "invalid",
      {
        ...ids,
        attemptId: attempt.id,
        paymentId: attempt.paymentId,
        outcomeDetail: `ResultCode ${cb.resultCode} is not a final result`,
      },
      now,
    );
    return "invalid";
  }
  if (result.outcome === "paid" && raw.sourceTrusted === false)
    return holdUntrustedSuccess(tx, now, actor, {
      raw,
      ids,
      amountKes: cb.amountKes,
      attempt,
    });
  const applied = await applyStkEvidence(tx, actor, {
    attemptId: attempt.id,
    paymentId: attempt.paymentId,
    rawCallbackId: rawId,
    now,
    evidence: callbackEvidence(prepared, result.outcome),
  });
  if (result.outcome === "paid" && applied.decision.outcome !== "duplicate")
    await noteCallbackGaps(tx, actor, {
      raw,
      cb,
      attemptId: attempt.id,
      paymentId: attempt.paymentId,
    });
  await setOutcome(
    tx,
    rawId,
    applied.decision.outcome,
    {
      ...ids,
      attemptId: attempt.id,
      paymentId: attempt.paymentId,
      outcomeDetail: applied.decision.summary,
    },
    now,
  );
  return applied.decision.outcome;
}

/**
 * Runs a stored callback through the same path again (after a fix, or when its attempt appeared).
 * Orphan exceptions for that CheckoutRequestID close themselves once the callback finds its attempt.
 */
export async function reprocessCallback(
  ctx: AppContext,
  rawId: number,
  actor: Actor,
): Promise<CallbackOutcome> {
  const [raw] = await ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, rawId));
  if (!raw) throw new AppError("not_found", "That callback does not exist.", { status: 404 });
  if (raw.kind !== "stk" && raw.kind !== "c2b_confirmation")
    throw new AppError(
      "not_reprocessable",
      "Only STK callbacks and C2B confirmations can be re-processed here.",
      { status: 400 },
    );
  if (!raw.tokenValid || raw.outcome === "refused")
    throw new AppError(
      "not_reprocessable",
      "Rejected or refused requests are kept for the record and cannot be re-processed.",
      { status: 400 },
    );
  const eventActor: EventActor =
    actor.kind === "system" ? { kind: "system", label: actor.label } : actor;
  if (raw.kind === "c2b_confirmation") {
    // Same path as intake; a held confirmation stays held unless its receipt is now vouched for.
    const { processC2bConfirmation } = await import("../reconciliation/c2b.server");
    return processC2bConfirmation(ctx, raw);
  }
  const outcome = await processStkCallback(ctx, rawId, eventActor);
  const [after] = await ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, rawId));
  if (outcome !== "orphan" && after?.checkoutRequestId) {
    await resolveOpenCases(
      ctx.db,
      and(eq(exceptions.type, "orphan_callback"), eq(exceptions.rawCallbackId, rawId)),
      {
        resolution: "auto_rematched",
        resolutionNote: `The callback found its attempt and was applied (${outcome}).`,
        resolvedAt: ctx.now(),
        paymentId: after.paymentId,
        attemptId: after.attemptId,
      },
    );
  }
  return outcome;
}
