// Bulk case work: one action with one note on many cases. The preview names exactly the cases and
// the money; the apply acts on exactly that set or on nothing. The form carries the previewed ids
// and a fingerprint of their state; the apply locks the rows, recomputes the fingerprint and refuses
// if anything moved since. Each case goes through the same per-case command as a single decision.
import { createHash } from "node:crypto";
import { and, asc, count, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  exceptions,
  payments,
  type PaymentException,
  type PaymentStatus,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError, forbidden, isAppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { recordStaffAction } from "../auth/staff-audit.server";
import { can } from "../auth/permissions";
import { actionLabel, bulkActionsFor, typeTitle, type BulkAction } from "./actions";
import { lockCase, type StaffActor } from "./case.server";
import { queueConditions } from "./queries.server";
import type { QueueFilters } from "./queue-filters";
import { BULK_LIMIT, type BulkApplyInput } from "./resolve-input";
import { actOnCase } from "./resolve.server";

export type BulkCase = {
  id: string;
  type: string;
  status: string;
  summary: string;
  amountAtStake: number;
  openedAt: string;
  paymentId: string | null;
  paymentStatus: PaymentStatus | null;
};

export type BulkPreview = {
  cases: BulkCase[];
  /** How many cases the selection matched; more than cases.length when capped at BULK_LIMIT. */
  matching: number;
  totalKes: number;
  actions: BulkAction[];
  fingerprint: string;
};

type Row = { x: PaymentException; paymentStatus: PaymentStatus | null };

/**
 * The state a bulk decision was previewed on: every field a per-case decision or the money shown
 * depends on. Sorted by id, so the order the rows were read in does not matter.
 */
function fingerprintOf(rows: Row[]): string {
  const lines = rows
    .map(({ x, paymentStatus }) =>
      [
        x.id,
        x.type,
        x.status,
        x.amountAtStakeKes,
        x.reopenCount,
        x.proposedAt?.getTime() ?? "",
        x.resolvedAt?.getTime() ?? "",
        x.paymentId ?? "",
        paymentStatus ?? "",
      ].join("|"),
    )
    .sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

const selectRows = (db: Db) =>
  db
    .select({ x: exceptions, paymentStatus: payments.status })
    .from(exceptions)
    .leftJoin(payments, eq(payments.id, exceptions.paymentId));

/** The cases a bulk action would touch: the checked ids, or else every case the filters match. */
export async function previewBulk(
  ctx: AppContext,
  actor: StaffActor,
  selection: { filters: QueueFilters; ids?: string[] },
): Promise<BulkPreview> {
  if (!can(actor.role, "exceptions:resolve"))
    throw forbidden("Only finance and admin users act on exceptions.");
  const now = ctx.now();
  const where = selection.ids
    ? inArray(exceptions.id, selection.ids)
    : and(...queueConditions(selection.filters, now));
  // Oldest first, as the queue is worked; past the cap the preview says how many were left out.
  const rows: Row[] = await selectRows(ctx.db)
    .where(where)
    .orderBy(asc(exceptions.openedAt), asc(exceptions.id))
    .limit(BULK_LIMIT);
  const matching =
    rows.length < BULK_LIMIT
      ? rows.length
      : ((await ctx.db.select({ n: count() }).from(exceptions).where(where))[0]?.n ?? 0);
  const actions = bulkActionsFor(
    rows.map(({ x, paymentStatus }) => ({
      type: x.type,
      status: x.status,
      proposedByUserId: x.proposedByUserId,
      paymentStatus,
    })),
    { userId: actor.userId, canResolve: true },
  );
  return {
    cases: rows.map(({ x, paymentStatus }) => ({
      id: x.id,
      type: x.type,
      status: x.status,
      summary: x.summary,
      amountAtStake: x.amountAtStakeKes,
      openedAt: x.openedAt.toISOString(),
      paymentId: x.paymentId,
      paymentStatus,
    })),
    matching,
    totalKes: rows.reduce((n, r) => n + r.x.amountAtStakeKes, 0),
    actions,
    fingerprint: fingerprintOf(rows),
  };
}

export type BulkResult = { message: string; count: number; totalKes: number; caseIds: string[] };

/** Applies one previewed action to exactly the previewed cases, in one transaction, or refuses. */
export async function applyBulk(
  ctx: AppContext,
  actor: StaffActor,
  input: BulkApplyInput,
): Promise<BulkResult> {
  if (!can(actor.role, "exceptions:resolve"))
    throw forbidden("Only finance and admin users act on exceptions.");
  const ids = [...input.cases].sort();
  return ctx.db.transaction(async (tx) => {
    const now = ctx.now();
    // Locks in the writers' order (payments, then cases), each in id order: two bulk actions over
    // overlapping sets, or a bulk action and a single decision, queue behind each other instead of
    // deadlocking. The second to get the locks sees the first one's result and is refused below.
    const peek = await tx
      .select({ paymentId: exceptions.paymentId })
      .from(exceptions)
      .where(inArray(exceptions.id, ids));
    const paymentIds = [...new Set(peek.flatMap((r) => (r.paymentId ? [r.paymentId] : [])))];
    if (paymentIds.length)
      await tx
        .select({ id: payments.id })
        .from(payments)
        .where(inArray(payments.id, paymentIds))
        .orderBy(asc(payments.id))
        .for("no key update");
    const rows: Row[] = await selectRows(tx)
      .where(inArray(exceptions.id, ids))
      .orderBy(asc(exceptions.id))
      .for("update", { of: exceptions });
    if (rows.length !== ids.length || fingerprintOf(rows) !== input.fingerprint)
      throw staleRefusal(ids.length, rows);

    for (const { x } of rows) {
      // Re-read under the locks already held: an earlier case in this set may have changed the
      // payment this one names (two cases about one payment).
      const c = await lockCase(tx, x.id);
      try {
        await actOnCase(tx, actor, c, { intent: input.action, note: input.note }, now);
      } catch (error) {
        if (!isAppError(error)) throw error;
        throw new AppError(
          error.code,
          `Nothing was changed. ${typeTitle(x.type)} case "${x.summary}": ${error.message}`,
          { status: error.status },
        );
      }
    }
    const totalKes = rows.reduce((n, r) => n + r.x.amountAtStakeKes, 0);
    // One row for the decision as a whole (each case also has its own row from its command).
    await recordStaffAction(tx, actor, {
      action: `exception.bulk.${input.action}`,
      entityType: "exception_bulk",
      note: input.note,
      after: { action: input.action, count: rows.length, totalKes, caseIds: ids },
    });
    return {
      message: `${actionLabel(input.action)}: ${rows.length} case${rows.length === 1 ? "" : "s"} (${formatKes(totalKes)} at stake) resolved.`,
      count: rows.length,
      totalKes,
      caseIds: ids,
    };
  });
}

function staleRefusal(expected: number, rows: Row[]): AppError {
  const gone = expected - rows.length;
  // A preview only offers actions for open cases, so a case no longer open is what moved.
  const moved = rows.filter((r) => r.x.status !== "open").length;
  const parts = [
    gone ? `${gone} no longer exist` : "",
    moved ? `${moved} ${moved === 1 ? "is" : "are"} no longer open (someone acted on them)` : "",
  ].filter(Boolean);
  return new AppError(
    "stale_preview",
    `The cases changed since the preview${parts.length ? `: ${parts.join("; ")}` : " (a payment or a case was updated)"}. Nothing was changed; preview again.`,
    { status: 409 },
  );
}
