// Applies a stored initiator result or timeout (docs/daraja.md#initiator-apis): find our request by
// the OriginatorConversationID we sent (or Daraja's ConversationID), lock it, and hand the evidence
// to the ledger's gate. A request already settled makes a replayed result a no-op; a result that
// arrives before its request's acknowledgement was written waits and is tried again.
import { inArray, or } from "drizzle-orm";
import {
  darajaRequests,
  type CallbackOutcome,
  type DarajaRequest,
  type RawCallback,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import {
  conversationIdsOf,
  parseReversalResult,
  parseStatusResult,
  type ReversalResult,
} from "../daraja/results";
import { addPaymentEvent, DARAJA_ACTOR } from "../ledger/events.server";
import {
  applyReversalRefusedAsDone,
  applyReversalResult,
  applyStatusEvidence,
} from "../ledger/money-out.server";
import { setOutcome } from "../ledger/raw-callbacks.server";
import { storeBalanceResult } from "./balance.server";
import {
  canMoveRequest,
  isSettled,
  REQUEST_LABEL,
  requestStateText,
  wasSent,
} from "./request-states";
import { moved, recordTimeout, settleRequest } from "./request-writer.server";

/** How long a result with no request yet is retried before it is called an orphan. */
const WAIT_FOR_REQUEST_MS = 10 * 60_000;
const ALREADY_REVERSED = "R000001";

/** What a failed reversal's ResultCode means to finance (docs/daraja.md#reversal). */
export function reversalFailureText(code: string, desc: string): string {
  const known: Record<string, string> = {
    R000001: "the transaction was already reversed",
    R000002: "M-Pesa does not know the original transaction",
    "2001": "the initiator's credentials were refused",
  };
  return `${known[code] ?? "M-Pesa refused it"} (ResultCode ${code}: ${desc || "no description"})`;
}

export async function processInitiatorResult(
  ctx: AppContext,
  raw: RawCallback,
): Promise<CallbackOutcome> {
  const now = ctx.now();
  const [api, hook] = raw.kind.split("_") as ["status" | "reversal" | "balance", string];
  const body = Buffer.from(raw.body).toString("utf8");
  // Every id the body names: ours when M-Pesa echoes it, else its own OriginatorConversationID beside
  // the ConversationID its acknowledgement gave us (the stored id is only the first of them).
  const fromBody = conversationIdsOf(body);
  const named = [
    ...new Set(
      [raw.conversationId, fromBody.originatorConversationId, fromBody.conversationId].filter(
        (v): v is string => !!v,
      ),
    ),
  ];
  const id = named.join(", ") || null;
  const found = named.length
    ? await ctx.db
        .select()
        .from(darajaRequests)
        .where(
          or(
            inArray(darajaRequests.originatorConversationId, named),
            inArray(darajaRequests.conversationId, named),
          ),
        )
        .for("update")
    : [];
  const [request] = found;
  const detail = (outcomeDetail: string) => ({
    outcomeDetail,
    paymentId: request?.paymentId ?? null,
    receipt: request?.receipt ?? null,
  });
  if (found.length > 1) {
    // Our id of one request and Daraja's of another: nothing says which it is about.
    await setOutcome(
      ctx.db,
      raw.id,
      "invalid",
      {
        ...detail(`the ids ${id} name ${found.length} different requests; nothing was changed`),
        paymentId: null,
        receipt: null,
      },
      now,
    );
    return "invalid";
  }
  if (!request) {
    if (id && now.getTime() - raw.receivedAt.getTime() < WAIT_FOR_REQUEST_MS) {
      // Stays `received`; the stamp makes the applier try again in a while.
      await setOutcome(
        ctx.db,
        raw.id,
        "received",
        detail("waiting for its request to be recorded"),
        now,
      );
      return "received";
    }
    await setOutcome(
      ctx.db,
      raw.id,
      "orphan",
      detail(id ? `no request has conversation id ${id}` : "no conversation id in the body"),
      now,
    );
    return "orphan";
  }
  if (request.kind !== api) {
    await setOutcome(
      ctx.db,
      raw.id,
      "invalid",
      detail(`a ${api} result for a ${request.kind} request`),
      now,
    );
    return "invalid";
  }
  // M-Pesa cannot answer a request that never entered its queue (a reversal still waiting for its
  // approver or rejected, a call Daraja refused): what names one is not about it, and is kept for a
  // person to read, changing nothing.
  if (!wasSent(request.state)) {
    const state = requestStateText(request.state);
    // A result claims M-Pesa did something with the payment's money: finance reads it on the payment.
    if (hook === "result" && request.paymentId)
      await addPaymentEvent(ctx.db, DARAJA_ACTOR, {
        paymentId: request.paymentId,
        rawCallbackId: raw.id,
        type: `${api}_result_unsent`,
        summary: `A ${REQUEST_LABEL[api]} result named this payment's request ${request.receipt ? `about receipt ${request.receipt} ` : ""}that was never sent to M-Pesa (it is ${state}); nothing was changed. It was replayed or forged; if the request did reach M-Pesa after all, the statement will show it`,
        data: { requestId: request.id },
      });
    await setOutcome(
      ctx.db,
      raw.id,
      "invalid",
      detail(`a ${hook} for a request that was never sent (it is ${state})`),
      now,
    );
    return "invalid";
  }
  // Running the row that settled the request again changes nothing, not even its own outcome.
  if (request.resultRawCallbackId === raw.id && isSettled(request.state)) return raw.outcome;
  // Settled, or (a timeout) past where a timeout can take it: the table says what may still change.
  if (!canMoveRequest(request.state, hook === "timeout" ? "timed_out" : "completed")) {
    await setOutcome(
      ctx.db,
      raw.id,
      "duplicate",
      detail(`the request is already ${requestStateText(request.state)}`),
      now,
    );
    return "duplicate";
  }
  if (hook === "timeout") {
    moved(await recordTimeout(ctx.db, request, { rawCallbackId: raw.id, now }));
    if (request.paymentId)
      await addPaymentEvent(ctx.db, DARAJA_ACTOR, {
        paymentId: request.paymentId,
        rawCallbackId: raw.id,
        type: `${api}_timeout`,
        summary: `M-Pesa timed the ${api === "status" ? "Transaction Status" : api} request out in its queue; ask again if still needed`,
      });
    await setOutcome(ctx.db, raw.id, "applied", detail("request timed out in M-Pesa's queue"), now);
    return "applied";
  }
  if (api === "balance") return storeBalanceResult(ctx, raw, request, body);
  const settle = async (
    state: "completed" | "failed",
    code: string,
    desc: string,
    result: unknown,
  ) =>
    moved(
      await settleRequest(ctx.db, request, {
        state,
        code,
        desc,
        result,
        rawCallbackId: raw.id,
        now,
      }),
    );

  if (api === "status") {
    const parsed = parseStatusResult(body);
    if (!parsed.ok) {
      await setOutcome(ctx.db, raw.id, "invalid", detail(parsed.reason), now);
      return "invalid";
    }
    const r = parsed.result;
    await settle(r.resultCode === "0" ? "completed" : "failed", r.resultCode, r.resultDesc, {
      ...r,
      finalisedAt: r.finalisedAt?.toISOString() ?? null,
    });
    const applied = await applyStatusEvidence(ctx.db, DARAJA_ACTOR, {
      paymentId: request.paymentId!,
      rawCallbackId: raw.id,
      now,
      evidence: {
        resultCode: r.resultCode,
        resultDesc: r.resultDesc,
        // Asked about one receipt: an answer about another is not evidence about this one.
        receipt: r.receipt === request.receipt ? r.receipt : null,
        amountKes: r.amountKes,
        transactionStatus: r.transactionStatus,
        debitParty: r.debitParty,
        finalisedAt: r.finalisedAt,
      },
    });
    await setOutcome(ctx.db, raw.id, applied.outcome, detail(applied.summary), now);
    return applied.outcome;
  }

  const parsed = parseReversalResult(body);
  if (!parsed.ok) {
    await setOutcome(ctx.db, raw.id, "invalid", detail(parsed.reason), now);
    return "invalid";
  }
  return applyReversal(ctx, raw, request, parsed.result, settle, detail);
}

async function applyReversal(
  ctx: AppContext,
  raw: RawCallback,
  request: DarajaRequest,
  r: ReversalResult,
  settle: (
    state: "completed" | "failed",
    code: string,
    desc: string,
    result: unknown,
  ) => Promise<unknown>,
  detail: (text: string) => { outcomeDetail: string },
): Promise<CallbackOutcome> {
  const now = ctx.now();
  const stored = { ...r, completedAt: r.completedAt?.toISOString() ?? null };
  if (r.resultCode !== "0") {
    const why = reversalFailureText(r.resultCode, r.resultDesc);
    await settle("failed", r.resultCode, r.resultDesc, stored);
    if (r.resultCode === ALREADY_REVERSED) {
      const applied = await applyReversalRefusedAsDone(ctx.db, DARAJA_ACTOR, {
        paymentId: request.paymentId!,
        rawCallbackId: raw.id,
        now,
        receipt: request.receipt!,
        why,
      });
      await setOutcome(ctx.db, raw.id, applied.outcome, detail(applied.summary), now);
      return applied.outcome;
    }
    await addPaymentEvent(ctx.db, DARAJA_ACTOR, {
      paymentId: request.paymentId!,
      rawCallbackId: raw.id,
      type: "reversal_failed",
      summary: `Reversal of receipt ${request.receipt} failed: ${why}; the payment is unchanged`,
      data: { requestId: request.id, resultCode: r.resultCode },
    });
    await setOutcome(ctx.db, raw.id, "applied", detail(`reversal failed: ${why}`), now);
    return "applied";
  }
  await settle("completed", r.resultCode, r.resultDesc, stored);
  const applied = await applyReversalResult(ctx.db, DARAJA_ACTOR, {
    paymentId: request.paymentId!,
    rawCallbackId: raw.id,
    now,
    evidence: {
      receipt: request.receipt!,
      originalReceipt: r.originalReceipt,
      reversalReceipt: r.reversalReceipt,
      amountKes: r.amountKes,
      completedAt: r.completedAt,
    },
  });
  await setOutcome(ctx.db, raw.id, applied.outcome, detail(applied.summary), now);
  return applied.outcome;
}
