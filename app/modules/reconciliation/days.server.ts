// The daily reconciliation status ("14 Mar: 1,203 lines, 1,201 matched, 2 open") and finance's sign-off
// of a day, recorded in reconciliation_days and the staff audit. Days are EAT calendar days.
import { and, eq, gte, inArray, lt, max, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  exceptions,
  payments,
  receipts,
  reconciliationDays,
  statementLines,
  users,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { addDays, eatDay, formatEatDate, isCalendarDay, startOfEatDay } from "../../lib/time";
import { parseWith } from "../../lib/validation";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import type { DayStatus } from "./statement-view";

export type { DayStatus } from "./statement-view";

// The EAT calendar day of a UTC instant, in SQL: fixed +3 h (Kenya has no daylight saving).
const eatDayOf = (column: unknown) =>
  sql<string>`to_char((${column} at time zone 'UTC') + interval '3 hours', 'YYYY-MM-DD')`;
const int = (expr: ReturnType<typeof sql>) => sql<number>`${expr}`.mapWith(Number);

/** Figures for every EAT day from `from` to `to` inclusive that has statement lines or system payments. */
export async function getDayStatuses(db: Db, from: string, to: string): Promise<DayStatus[]> {
  const start = startOfEatDay(from);
  const end = startOfEatDay(addDays(to, 1));
  const lineDay = eatDayOf(statementLines.completedAt);
  const inRange = and(gte(statementLines.completedAt, start), lt(statementLines.completedAt, end));
  const unresolved = ne(exceptions.status, "resolved");
  const movedAt = sql`coalesce(${receipts.transactionAt}, ${payments.paidAt})`;

  const [lineRows, byLine, byReceipt, missing, system, signoffs] = await Promise.all([
    db
      .select({
        day: lineDay,
        lines: int(sql`count(*)`),
        matched: int(
          sql`count(*) filter (where ${statementLines.matchState} in ('matched','reversal'))`,
        ),
        proposed: int(sql`count(*) filter (where ${statementLines.matchState} = 'proposed')`),
        // Stored by an import whose matching has not finished (or failed and will be retried).
        unmatchedYet: int(sql`count(*) filter (where ${statementLines.matchState} = 'new')`),
        skipped: int(sql`count(*) filter (where ${statementLines.matchState} = 'skipped')`),
        paidIn: int(
          sql`coalesce(sum(${statementLines.paidInKes}) filter (where ${statementLines.transactionStatus} = 'Completed'), 0)`,
        ),
      })
      .from(statementLines)
      .where(inRange)
      .groupBy(lineDay),
    // A line is open while the exception it opened (or, for an unmatched line, the C2B/orphan case about its receipt) is unresolved.
    db
      .select({ day: lineDay, n: int(sql`count(distinct ${statementLines.id})`) })
      .from(exceptions)
      .innerJoin(statementLines, eq(statementLines.id, exceptions.statementLineId))
      .where(and(unresolved, inRange))
      .groupBy(lineDay),
    db
      .select({ day: lineDay, n: int(sql`count(distinct ${statementLines.id})`) })
      .from(exceptions)
      .innerJoin(
        statementLines,
        and(
          eq(statementLines.receipt, exceptions.receipt),
          eq(statementLines.transactionStatus, "Completed"),
          eq(statementLines.matchState, "unmatched"),
        ),
      )
      .where(and(unresolved, inRange))
      .groupBy(lineDay),
    db
      .select({ day: sql<string>`${exceptions.details}->>'day'`, n: int(sql`count(*)`) })
      .from(exceptions)
      .where(
        and(
          eq(exceptions.type, "missing_from_statement"),
          unresolved,
          sql`${exceptions.details}->>'day' between ${from} and ${to}`,
        ),
      )
      .groupBy(sql`${exceptions.details}->>'day'`),
    db
      .select({ day: eatDayOf(movedAt), kes: int(sql`sum(${payments.amountKes})`) })
      .from(payments)
      .leftJoin(receipts, eq(receipts.receipt, payments.receipt))
      .where(
        and(
          inArray(payments.status, ["paid", "refunded"]),
          gte(payments.paidAt, new Date(start.getTime() - 86_400_000)),
          lt(payments.paidAt, new Date(end.getTime() + 2 * 86_400_000)),
          sql`${movedAt} >= ${start.toISOString()}::timestamptz and ${movedAt} < ${end.toISOString()}::timestamptz`,
        ),
      )
      .groupBy(eatDayOf(movedAt)),
    db
      .select({
        day: reconciliationDays.day,
        at: reconciliationDays.signedOffAt,
        note: reconciliationDays.note,
        by: users.name,
      })
      .from(reconciliationDays)
      .leftJoin(users, eq(users.id, reconciliationDays.signedOffByUserId))
      .where(sql`${reconciliationDays.day} between ${from} and ${to}`),
  ]);

  const days = new Map<string, DayStatus>();
  const at = (day: string) => {
    let d = days.get(day);
    if (!d)
      days.set(
        day,
        (d = {
          day,
          lines: 0,
          matched: 0,
          proposed: 0,
          unmatchedYet: 0,
          open: 0,
          skipped: 0,
          statementPaidInKes: 0,
          systemPaidInKes: 0,
          signedOff: null,
        }),
      );
    return d;
  };
  for (const r of lineRows)
    Object.assign(at(r.day), {
      lines: r.lines,
      matched: r.matched,
      proposed: r.proposed,
      unmatchedYet: r.unmatchedYet,
      skipped: r.skipped,
      statementPaidInKes: r.paidIn,
      // A line not matched yet is open: nothing says yet whether a payment explains it.
      open: r.proposed + r.unmatchedYet,
    });
  for (const r of [...byLine, ...byReceipt, ...missing]) at(r.day).open += r.n;
  for (const r of system) at(r.day).systemPaidInKes = r.kes;
  for (const r of signoffs)
    if (r.at) at(r.day).signedOff = { by: r.by ?? "—", at: r.at.toISOString(), note: r.note };
  return [...days.values()]
    .filter((d) => d.day >= from && d.day <= to)
    .sort((a, b) => b.day.localeCompare(a.day));
}

/** The most recent days that have statement lines (the last `days` EAT days up to the newest line), newest first. */
export async function listRecentDays(db: Db, days = 14): Promise<DayStatus[]> {
  // max() walks the completed_at index; grouping every line ever imported would not scale.
  const [{ newest }] = await db
    .select({ newest: max(statementLines.completedAt) })
    .from(statementLines);
  if (!newest) return [];
  const to = eatDay(newest);
  return (await getDayStatuses(db, addDays(to, 1 - days), to)).filter((d) => d.lines > 0);
}

export function describeDay(d: DayStatus): string {
  const n = (x: number) => x.toLocaleString("en-KE");
  return `${formatEatDate(startOfEatDay(d.day))}: ${n(d.lines)} lines, ${n(d.matched)} matched, ${n(d.open)} open`;
}

export const SignOffSchema = z.object({
  day: z
    .string({ message: "Choose a day." })
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Day must be YYYY-MM-DD.")
    // The pattern lets 2025-02-30 through; the day must be on the calendar before it reaches a query.
    .refine(isCalendarDay, "That day is not on the calendar; pick a date like 2025-03-14."),
  note: z
    .string()
    .trim()
    .max(1000, "Keep the note under 1,000 characters.")
    .optional()
    .transform((n) => n || null),
});

export async function signOffDay(
  ctx: AppContext,
  raw: z.input<typeof SignOffSchema>,
  actor: Actor & { kind: "user" },
): Promise<{ status: DayStatus; message: string }> {
  const input = parseWith(SignOffSchema, raw);
  // Only a day that has ended in Nairobi: today's figures still move, and a sign-off freezes them.
  if (input.day >= eatDay(ctx.now()))
    throw new AppError(
      "invalid_request",
      input.day === eatDay(ctx.now())
        ? "Today has not ended yet (East Africa Time); sign it off tomorrow."
        : "That day has not happened yet.",
      { field: "day" },
    );
  const [status] = await getDayStatuses(ctx.db, input.day, input.day);
  if (!status || status.lines === 0)
    throw new AppError(
      "no_statement",
      `No statement lines cover ${formatEatDate(startOfEatDay(input.day))}; import its statement first.`,
      { field: "day", status: 409 },
    );
  // A note cannot stand in for matching that has not run: missing_from_statement and the line's own
  // cases are only known once the import has matched its lines.
  if (status.unmatchedYet > 0)
    throw new AppError(
      "import_in_progress",
      `${status.unmatchedYet.toLocaleString("en-KE")} of this day's statement lines are not matched yet (their import is still running or will retry); sign off once it is done.`,
      { field: "day", status: 409 },
    );
  if (status.open > 0 && !input.note) {
    throw new AppError(
      "note_required",
      `${describeDay(status)}. Add a note saying why you sign off with open items.`,
      { field: "note", status: 422 },
    );
  }
  const figures = {
    lines: status.lines,
    matched: status.matched,
    proposed: status.proposed,
    open: status.open,
    skipped: status.skipped,
    statementPaidInKes: status.statementPaidInKes,
    systemPaidInKes: status.systemPaidInKes,
  };
  const now = ctx.now();
  await ctx.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(reconciliationDays)
      .where(eq(reconciliationDays.day, input.day))
      .for("update");
    await tx
      .insert(reconciliationDays)
      .values({
        day: input.day,
        signedOffByUserId: actor.userId,
        signedOffAt: now,
        note: input.note,
        figures,
      })
      .onConflictDoUpdate({
        target: reconciliationDays.day,
        set: { signedOffByUserId: actor.userId, signedOffAt: now, note: input.note, figures },
      });
    await recordStaffAction(tx, actor, {
      action: "reconciliation.signoff",
      entityType: "reconciliation_day",
      entityId: input.day,
      note: input.note,
      before: before
        ? {
            signedOffByUserId: before.signedOffByUserId,
            signedOffAt: before.signedOffAt,
            figures: before.figures,
          }
        : null,
      after: figures,
    });
  });
  const signed = {
    ...status,
    signedOff: { by: actor.label, at: now.toISOString(), note: input.note },
  };
  return { status: signed, message: `Signed off ${describeDay(status)}.` };
}
