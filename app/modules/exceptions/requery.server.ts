// "Re-query M-Pesa" on an exception (docs/daraja.md#stk-query, STK Query): asks Daraja about the
// exception's attempt and records the answer on the exception and the payment's timeline. It does
// not apply the answer:
// the exception exists because witnesses disagree, so a person decides with the answer in front of them.
import { eq } from "drizzle-orm";
import { stkAttempts } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import type { QueryResult } from "../daraja/client.server";
import { classifyStkResult } from "../daraja/result-codes";
import {
  assertFits,
  lockCase,
  recordCaseStep,
  type ActionResult,
  type StaffActor,
} from "./case.server";
import { updateCase } from "../ledger/cases.server";

export type RecordedQuery = {
  at: string;
  by: string;
  kind: QueryResult["kind"];
  resultCode?: string;
  resultDesc?: string;
  summary: string;
};

function describe(answer: QueryResult): string {
  switch (answer.kind) {
    case "final":
      return `ResultCode ${answer.resultCode} — ${classifyStkResult(answer.resultCode).reason}`;
    case "processing":
      return "M-Pesa is still processing the transaction";
    case "not_found":
      return "M-Pesa does not know this transaction";
    case "rate_limited":
      return "M-Pesa asked us to slow down; try again in a minute";
    case "error":
      return `the query failed: ${answer.error.message}`;
  }
}

export async function requeryException(
  ctx: AppContext,
  actor: StaffActor,
  exceptionId: string,
  note: string,
): Promise<ActionResult> {
  // Check before calling Daraja (no lock is held across the HTTP call), then again under the lock.
  const before = await ctx.db.transaction((tx) => lockCase(tx, exceptionId));
  assertFits(before, "requery");
  const attemptId = before.exception.attemptId;
  const [attempt] = attemptId
    ? await ctx.db.select().from(stkAttempts).where(eq(stkAttempts.id, attemptId))
    : [];
  if (!attempt?.checkoutRequestId) {
    throw new AppError(
      "cannot_query",
      "M-Pesa never gave us a CheckoutRequestID for this attempt, so it cannot be asked. Check the M-Pesa portal instead.",
      { status: 409 },
    );
  }
  const answer = await ctx.daraja.stkQuery(attempt.checkoutRequestId, {
    paymentId: attempt.paymentId,
    attemptId: attempt.id,
  });
  const summary = describe(answer);

  return ctx.db.transaction(async (tx) => {
    const c = await lockCase(tx, exceptionId);
    assertFits(c, "requery");
    const recorded: RecordedQuery = {
      at: ctx.now().toISOString(),
      by: actor.label,
      kind: answer.kind,
      summary,
      ...(answer.kind === "final"
        ? { resultCode: answer.resultCode, resultDesc: answer.resultDesc }
        : {}),
    };
    const details = (c.exception.details ?? {}) as Record<string, unknown>;
    const requeries = Array.isArray(details.requeries)
      ? (details.requeries as RecordedQuery[])
      : [];
    await updateCase(tx, c.exception, {
      details: { ...details, requeries: [...requeries, recorded] },
    });
    await recordCaseStep(tx, actor, c, {
      action: "exception.requery",
      eventType: "query",
      note,
      summary: `STK Query (re-query by ${actor.label}): ${summary}`,
      after: recorded,
      data: { answer: recorded, checkoutRequestId: attempt.checkoutRequestId },
    });
    return { message: `M-Pesa answered: ${summary}.` };
  });
}
