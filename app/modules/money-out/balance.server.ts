// Account Balance (docs/daraja.md#account-balance): asked on demand and once a day; the result's
// `&`/`|` encoded accounts are stored as a snapshot. The reconciliation page puts the latest
// snapshot beside the statement's running balance (balance-compare.server.ts).
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import {
  balanceSnapshots,
  darajaRequests,
  type CallbackOutcome,
  type DarajaRequest,
  type RawCallback,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { eatDay } from "../../lib/time";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { parseBalanceResult } from "../daraja/results";
import { DARAJA_ACTOR } from "../ledger/events.server";
import { setOutcome } from "../ledger/raw-callbacks.server";
import { checkSnapshotAgainstStatement } from "./balance-compare.server";
import { moved, settleRequest } from "./request-writer.server";
import { sendStored } from "./send.server";

/** The account collections land in; the one a statement of the paybill describes. */
export const UTILITY_ACCOUNT = /utility/i;

export async function requestAccountBalance(
  ctx: AppContext,
  actor: Actor,
): Promise<{ ok: boolean; message: string }> {
  if (!ctx.config.mpesa.initiator)
    throw new AppError(
      "initiator_not_configured",
      "The M-Pesa initiator is not configured (MPESA_INITIATOR_NAME and its credential); ask an admin.",
      { status: 503 },
    );
  const now = ctx.now();
  const [request] = await ctx.db
    .insert(darajaRequests)
    .values({
      kind: "balance",
      state: "sending",
      originatorConversationId: randomUUID(),
      requestedByUserId: actor.kind === "user" ? actor.userId : null,
      requestedByLabel: actor.label,
      reason: "Account balance",
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (actor.kind !== "system")
    await recordStaffAction(ctx.db, actor, {
      action: "balance.query",
      entityType: "balance",
      entityId: request.id,
    });
  return sendStored(
    ctx,
    request,
    actor.kind === "system" ? { kind: "system", label: actor.label } : actor,
  );
}

export async function storeBalanceResult(
  ctx: AppContext,
  raw: RawCallback,
  request: DarajaRequest,
  body: string,
): Promise<CallbackOutcome> {
  const now = ctx.now();
  const parsed = parseBalanceResult(body);
  if (!parsed.ok) {
    await setOutcome(ctx.db, raw.id, "invalid", { outcomeDetail: parsed.reason }, now);
    return "invalid";
  }
  const r = parsed.result;
  const ok = r.resultCode === "0" && r.accounts.length > 0;
  // Read FOR UPDATE by the applier, which checked the table allows a result here.
  moved(
    await settleRequest(ctx.db, request, {
      state: ok ? "completed" : "failed",
      code: r.resultCode,
      desc: ok ? r.resultDesc : r.resultDesc || "no readable account",
      result: { accounts: r.accounts, problems: r.problems },
      rawCallbackId: raw.id,
      now,
    }),
  );
  if (ok) {
    const utility = r.accounts.find((a) => UTILITY_ACCOUNT.test(a.name));
    const [snapshot] = await ctx.db
      .insert(balanceSnapshots)
      .values({
        requestId: request.id,
        // M-Pesa's own completion time when given; else when the result arrived.
        takenAt: r.completedAt ?? raw.receivedAt,
        accounts: r.accounts,
        utilityCents: utility?.amountCents ?? null,
        rawCallbackId: raw.id,
      })
      .onConflictDoNothing()
      .returning();
    if (snapshot) await checkSnapshotAgainstStatement(ctx.db, DARAJA_ACTOR, snapshot);
  }
  const detail = ok
    ? `balance snapshot of ${r.accounts.length} accounts${r.problems.length ? ` (${r.problems.join("; ")})` : ""}`
    : `no balance: ResultCode ${r.resultCode} ${r.resultDesc}`;
  await setOutcome(ctx.db, raw.id, "applied", { outcomeDetail: detail.slice(0, 500) }, now);
  return "applied";
}

/**
 * The daily query: skipped without an initiator, and sent once per EAT day however many instances
 * run the schedule (the first to insert the day's request wins; the others see it and stop).
 */
export async function requestDailyAccountBalance(
  ctx: AppContext,
): Promise<{ ok: boolean; message: string } | null> {
  if (!ctx.config.mpesa.initiator) return null;
  const day = eatDay(ctx.now());
  const sent = await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`balance-daily:${day}`}))`);
    const [already] = await tx
      .select({ id: darajaRequests.id })
      .from(darajaRequests)
      .where(
        and(eq(darajaRequests.kind, "balance"), eq(darajaRequests.reason, `Daily balance ${day}`)),
      );
    if (already) return true;
    await tx.insert(darajaRequests).values({
      kind: "balance",
      state: "sending",
      originatorConversationId: randomUUID(),
      requestedByLabel: "daily balance job",
      reason: `Daily balance ${day}`,
    });
    return false;
  });
  if (sent) return null;
  const [request] = await ctx.db
    .select()
    .from(darajaRequests)
    .where(
      and(eq(darajaRequests.kind, "balance"), eq(darajaRequests.reason, `Daily balance ${day}`)),
    );
  return sendStored(ctx, request, { kind: "system", label: "daily balance job" });
}
