// Opening an exception: the reconciliation queue's only way in. The dedupe key makes opening
// idempotent, so a duplicate callback or a second poll cannot open the same case twice.
import { and, eq, gte, inArray, isNull, ne, sql, type SQL } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import {
  exceptions,
  stkAttempts,
  type ExceptionStatus,
  type ExceptionType,
  type PaymentException,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { addPaymentEvent, type EventActor } from "./events.server";
import { CASE_SNAPSHOT_COLUMNS, caseOpenedEventsOf, emitCaseEvents } from "./outbox.server";

export type OpenException = {
  type: ExceptionType;
  dedupeKey: string;
  summary: string;
  paymentId?: string | null;
  attemptId?: string | null;
  rawCallbackId?: number | null;
  statementLineId?: number | null;
  receipt?: string | null;
  amountAtStakeKes?: number;
  details?: unknown;
};

/** Returns the new exception's id, or null when the same fact already had one. */
export async function openException(
  db: Db,
  actor: EventActor,
  input: OpenException,
): Promise<string | null> {
  const [row] = await insertCases(db, actor, [input]);
  return row?.id ?? null;
}

/**
 * Many facts at once (a statement import opens thousands): one INSERT, the same dedupe rule, and the
 * same timeline event for each new case that names a payment. Returns the types of the new cases.
 */
export async function openExceptions(
  db: Db,
  actor: EventActor,
  inputs: OpenException[],
): Promise<ExceptionType[]> {
  return (await insertCases(db, actor, inputs)).map((r) => r.type);
}

/** The one INSERT of cases: a fact already on record (same dedupe key) opens nothing new. */
async function insertCases(db: Db, actor: EventActor, inputs: OpenException[]) {
  if (inputs.length === 0) return [];
  const rows = await db
    .insert(exceptions)
    .values(
      inputs.map((input) => ({
        type: input.type,
        dedupeKey: input.dedupeKey,
        summary: input.summary,
        paymentId: input.paymentId ?? null,
        attemptId: input.attemptId ?? null,
        rawCallbackId: input.rawCallbackId ?? null,
        statementLineId: input.statementLineId ?? null,
        receipt: input.receipt ?? null,
        amountAtStakeKes: input.amountAtStakeKes ?? 0,
        details: input.details ?? null,
      })),
    )
    .onConflictDoNothing({ target: exceptions.dedupeKey })
    .returning({ id: exceptions.id, dedupeKey: exceptions.dedupeKey, type: exceptions.type });
  await emitCaseEvents(
    db,
    "case.opened",
    rows.map((r) => r.id),
  );
  const byKey = new Map(inputs.map((input) => [input.dedupeKey, input]));
  for (const row of rows) {
    const input = byKey.get(row.dedupeKey);
    if (!input?.paymentId) continue;
    await addPaymentEvent(db, actor, {
      paymentId: input.paymentId,
      attemptId: input.attemptId,
      type: "exception_opened",
      summary: `Exception opened: ${input.type.replace(/_/g, " ")} — ${input.summary}`,
      data: { exceptionId: row.id, type: input.type },
      rawCallbackId: input.rawCallbackId,
    });
  }
  return rows;
}

/**
 * Closes the other open cases about the same money when one of them is settled (e.g. linking an
 * orphan callback to its payment also settles that payment's "no answer to the push" case).
 * Returns how many were closed.
 */
export async function closeRelatedCases(
  db: Db,
  actor: EventActor,
  input: {
    paymentId: string;
    types: ExceptionType[];
    exceptId: string;
    resolution: string;
    note: string;
    now: Date;
    resolvedByUserId?: string | null;
  },
): Promise<number> {
  const closed = await db
    .update(exceptions)
    .set({
      status: "resolved",
      resolution: input.resolution,
      resolutionNote: input.note,
      resolvedAt: input.now,
      resolvedByUserId: input.resolvedByUserId ?? null,
    })
    .where(
      and(
        eq(exceptions.paymentId, input.paymentId),
        inArray(exceptions.type, input.types),
        ne(exceptions.id, input.exceptId),
        ne(exceptions.status, "resolved"),
      ),
    )
    .returning({ id: exceptions.id, type: exceptions.type });
  await emitCaseEvents(
    db,
    "case.resolved",
    closed.map((r) => r.id),
  );
  for (const row of closed)
    await addPaymentEvent(db, actor, {
      paymentId: input.paymentId,
      type: "exception_resolved",
      summary: `Exception (${row.type.replace(/_/g, " ")}) resolved with a related case: ${input.note}`,
      data: { exceptionId: row.id, resolution: input.resolution },
    });
  return closed.length;
}

/**
 * A success callback nobody asked for (an orphan) and a push whose answer was lost are often the
 * same money: same phone, same amount, minutes apart. When exactly one such open "unknown outcome"
 * case exists, the two are linked and the money at stake is counted once (on the orphan, which
 * carries the receipt).
 */
export async function linkOrphanToLostPush(
  db: Db,
  input: { orphanCaseId: string; phone: string; amountKes: number; at: Date },
): Promise<string | null> {
  const since = new Date(input.at.getTime() - 15 * 60_000);
  const candidates = await db
    .select({ id: exceptions.id, paymentId: exceptions.paymentId })
    .from(exceptions)
    .innerJoin(stkAttempts, eq(stkAttempts.id, exceptions.attemptId))
    .where(
      and(
        eq(exceptions.type, "unknown_outcome"),
        ne(exceptions.status, "resolved"),
        isNull(stkAttempts.checkoutRequestId),
        eq(stkAttempts.phone, input.phone),
        eq(stkAttempts.amountKes, input.amountKes),
        gte(stkAttempts.createdAt, since),
      ),
    )
    .limit(2);
  if (candidates.length !== 1) return null;
  const [lost] = candidates;
  await db
    .update(exceptions)
    .set({
      amountAtStakeKes: 0,
      details: sql`coalesce(${exceptions.details}, '{}'::jsonb) || ${JSON.stringify({ relatedCaseId: input.orphanCaseId })}::jsonb`,
    })
    .where(eq(exceptions.id, lost.id));
  await db
    .update(exceptions)
    .set({
      details: sql`coalesce(${exceptions.details}, '{}'::jsonb) || ${JSON.stringify({ relatedCaseId: lost.id, suggestedPaymentId: lost.paymentId })}::jsonb`,
    })
    .where(eq(exceptions.id, input.orphanCaseId));
  return lost.id;
}

// ---------------------------------------------------------------- the one writer of case state

/** Case statuses move open → awaiting approval (four eyes) → resolved; reopen goes back to open. */
export const CASE_TRANSITIONS: Record<ExceptionStatus, readonly ExceptionStatus[]> = {
  open: ["awaiting_approval", "resolved"],
  awaiting_approval: ["open", "resolved"],
  resolved: ["open"],
};

type CasePatch = Partial<
  Pick<
    PaymentException,
    | "status"
    | "resolution"
    | "resolutionNote"
    | "resolvedByUserId"
    | "approvedByUserId"
    | "resolvedAt"
    | "proposedResolution"
    | "proposedData"
    | "proposedByUserId"
    | "proposedAt"
    | "paymentId"
    | "attemptId"
    | "details"
  >
> & { reopen?: boolean };

/** Changes one (locked) case, refusing a status change the table does not allow. */
export async function updateCase(
  db: Db,
  current: Pick<PaymentException, "id" | "status">,
  patch: CasePatch,
): Promise<void> {
  const { reopen, ...fields } = patch;
  if (fields.status && fields.status !== current.status) {
    if (!CASE_TRANSITIONS[current.status].includes(fields.status))
      throw new AppError(
        "invalid_transition",
        `A case cannot move from ${current.status} to ${fields.status}.`,
        { status: 409 },
      );
  }
  const changed = await db
    .update(exceptions)
    .set({ ...fields, ...(reopen ? { reopenCount: sql`${exceptions.reopenCount} + 1` } : {}) })
    .where(and(eq(exceptions.id, current.id), eq(exceptions.status, current.status)))
    .returning({ id: exceptions.id });
  // Merchants hear when a case closes, and when a closed one opens again.
  const announce =
    !changed.length || fields.status === current.status
      ? null
      : fields.status === "resolved"
        ? "case.resolved"
        : fields.status === "open" && current.status === "resolved"
          ? "case.opened"
          : null;
  if (announce) await emitCaseEvents(db, announce, [current.id]);
}

/** Resolves every still-open case that matches (automatic settlements: a later witness, a re-match). */
export async function resolveOpenCases(
  db: Db,
  where: SQL | undefined,
  resolution: Pick<PaymentException, "resolution" | "resolutionNote" | "resolvedAt"> &
    Partial<Pick<PaymentException, "paymentId" | "attemptId">>,
): Promise<number> {
  const rows = await db
    .update(exceptions)
    .set({ status: "resolved", ...resolution })
    .where(and(where, inArray(exceptions.status, ["open", "awaiting_approval"])))
    .returning({ id: exceptions.id });
  await emitCaseEvents(
    db,
    "case.resolved",
    rows.map((r) => r.id),
  );
  return rows.length;
}

/**
 * Many cases that name no payment (a statement's unknown money), in one statement: the rows travel as
 * one JSON parameter; the dedupe rule is the same as openException's. Returns the types opened.
 */
export async function openUnassignedCasesInBulk(
  db: Db,
  rows: {
    type: ExceptionType;
    key: string;
    lineId: number;
    receipt: string;
    amount: number;
    summary: string;
    details: unknown;
  }[],
): Promise<ExceptionType[]> {
  if (rows.length === 0) return [];
  return openUnassignedCasesFrom(
    db,
    sql`select type, key, "lineId" as line_id, receipt, amount, summary, details
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(type text, key text, "lineId" bigint, receipt text, amount bigint, summary text, details jsonb)`,
  );
}

/**
 * The same with the rows built by the database (openUnassignedCasesInBulk is this over its JSON):
 * `rows` selects (type, key, line_id, receipt, amount, summary, details) in the order the cases
 * should be announced, so a statement's unknown money never travels to Node and back. Returns the
 * types opened.
 */
export async function openUnassignedCasesFrom(db: Db, rows: SQL): Promise<ExceptionType[]> {
  // The cases and their case.opened events in one statement: a statement of mostly unknown money
  // opens 100,000s of cases at once, and their ids need not travel to Node and back.
  const opened = rowsOf<{ type: ExceptionType }>(
    await db.execute(sql`
      with opened as (
        insert into exceptions (type, dedupe_key, statement_line_id, receipt, amount_at_stake_kes, summary, details)
        select x.type, x.key, x.line_id, x.receipt, x.amount, x.summary, x.details from (${rows}) as x
        on conflict (dedupe_key) do nothing returning ${CASE_SNAPSHOT_COLUMNS}),
      ${caseOpenedEventsOf(sql`opened`)}
      select type from opened`),
  );
  return opened.map((r) => r.type);
}
