// Reading statement imports for the reconciliation pages: the list of imports, one import with its
// counts, and its lines (filterable by match state, keyset-paginated) with the evidence behind each
// proposal and the exception each line opened.
import {
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  inArray,
  lt,
  max,
  min,
  or,
  sql,
  type SQL,
} from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  exceptions,
  payments,
  statementImports,
  statementLines,
  users,
  type StatementImport,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { eatDay } from "../../lib/time";
import {
  liveProgress,
  type ImportProgress,
  type ImportState,
  type ImportSummary,
} from "./import.server";
import {
  IMPORT_PAGE_SIZE,
  LINE_PAGE_SIZE,
  type ImportListInput,
  type LineListInput,
} from "./list-params";
import { candidateEvidence } from "./match-rules";
import { MATCH_STATES, type MatchState } from "./match-states";
import { msisdnMatches } from "./msisdn-match.server";
import { parseOtherPartyInfo } from "./other-party";
import type { LineView } from "./statement-view";
import { UUID } from "../../lib/uuid";

export { MATCH_STATES, type MatchState };
export type { LineView } from "./statement-view";

export type ImportListItem = {
  id: string;
  fileName: string;
  importedAt: string;
  importedBy: string;
  layout: string;
  shortCode: string | null;
  periodFrom: string | null;
  periodTo: string | null;
  lineCount: number;
  newLineCount: number;
  summary: ImportSummary | null;
  /** The import as a job: still working (with how far it got), done, or failed and why. */
  state: ImportState;
  progress: ImportProgress;
  error: string | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toListItem(row: StatementImport, userName: string | null): ImportListItem {
  // Until the file is stored the summary holds only who asked (for the audit entry), not for pages.
  const stored = row.state === "matching" || row.state === "done";
  const summary = stored ? (row.summary as ImportSummary | null) : null;
  const queuedBy = (row.summary as { importedBy?: string } | null)?.importedBy;
  // The process running the import knows more than the row (PGlite cannot write it mid-transaction).
  const progress = liveProgress(row.id) ?? {
    state: row.state as ImportState,
    parsed: row.linesParsed,
    stored: row.linesStored,
    matched: row.linesMatched,
    lines: stored ? row.lineCount : null,
  };
  return {
    id: row.id,
    fileName: row.fileName,
    importedAt: row.importedAt.toISOString(),
    importedBy: userName ?? summary?.importedBy ?? queuedBy ?? "—",
    layout: row.layout,
    shortCode: row.shortCode,
    periodFrom: iso(row.periodFrom),
    periodTo: iso(row.periodTo),
    lineCount: row.lineCount,
    newLineCount: row.newLineCount,
    summary,
    state: progress.state,
    progress,
    error: row.error,
  };
}

export async function listStatementImports(
  db: Db,
  input: ImportListInput,
): Promise<{ imports: ImportListItem[]; nextCursor: string | null }> {
  const f = { ...input, limit: input.limit ?? IMPORT_PAGE_SIZE };
  const cursor = decodeCursor(f.cursor, ["date", "uuid"]);
  if (f.cursor && !cursor)
    throw new AppError(
      "invalid_request",
      "The cursor is not valid; start again from the first page.",
      { field: "cursor" },
    );
  const where = cursor
    ? or(
        lt(statementImports.importedAt, new Date(String(cursor[0]))),
        and(
          eq(statementImports.importedAt, new Date(String(cursor[0]))),
          lt(statementImports.id, String(cursor[1])),
        ),
      )
    : undefined;
  const rows = await db
    .select({ imp: statementImports, userName: users.name })
    .from(statementImports)
    .leftJoin(users, eq(users.id, statementImports.importedByUserId))
    .where(where)
    .orderBy(desc(statementImports.importedAt), desc(statementImports.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    imports: page.map((r) => toListItem(r.imp, r.userName)),
    nextCursor:
      rows.length > f.limit && last
        ? encodeCursor([last.imp.importedAt.toISOString(), last.imp.id])
        : null,
  };
}

export type ImportView = ImportListItem & {
  accountHolder: string | null;
  account: string | null;
  counts: Record<MatchState, number>;
  exceptions: { type: string; open: number; total: number }[];
  /** The EAT days the file speaks for: its stated period, else the span of its lines. */
  days: { from: string; to: string } | null;
};

export async function getStatementImport(db: Db, importId: string): Promise<ImportView | null> {
  if (!UUID.test(importId)) return null;
  const [row] = await db
    .select({ imp: statementImports, userName: users.name })
    .from(statementImports)
    .leftJoin(users, eq(users.id, statementImports.importedByUserId))
    .where(eq(statementImports.id, importId));
  if (!row) return null;
  const openCount = sql<number>`count(*) filter (where ${exceptions.status} <> 'resolved')`.mapWith(
    Number,
  );
  const [states, lineExceptions, missing, [span]] = await Promise.all([
    db
      .select({ state: statementLines.matchState, n: count() })
      .from(statementLines)
      .where(eq(statementLines.importId, importId))
      .groupBy(statementLines.matchState),
    db
      .select({ type: exceptions.type, total: count(), open: openCount })
      .from(exceptions)
      .innerJoin(statementLines, eq(statementLines.id, exceptions.statementLineId))
      .where(eq(statementLines.importId, importId))
      .groupBy(exceptions.type),
    db
      .select({ type: exceptions.type, total: count(), open: openCount })
      .from(exceptions)
      .where(
        and(
          eq(exceptions.type, "missing_from_statement"),
          sql`${exceptions.details}->>'importId' = ${importId}`,
        ),
      )
      .groupBy(exceptions.type),
    db
      .select({ first: min(statementLines.completedAt), last: max(statementLines.completedAt) })
      .from(statementLines)
      .where(eq(statementLines.importId, importId)),
  ]);
  const counts = Object.fromEntries(MATCH_STATES.map((s) => [s, 0])) as Record<MatchState, number>;
  for (const s of states) counts[s.state as MatchState] = s.n;
  // The strongest fraud signal first, then the rest by how many are still open.
  const byType = [...missing, ...lineExceptions].sort(
    (a, b) =>
      Number(b.type === "missing_from_statement") - Number(a.type === "missing_from_statement") ||
      b.open - a.open,
  );
  const from = row.imp.periodFrom ?? span?.first ?? null;
  const to = row.imp.periodTo ?? span?.last ?? null;
  const days = from && to ? { from: eatDay(from), to: eatDay(to) } : null;
  return {
    ...toListItem(row.imp, row.userName),
    accountHolder: row.imp.accountHolder,
    account: row.imp.account,
    counts,
    exceptions: byType,
    days,
  };
}

export async function listStatementLines(
  db: Db,
  importId: string,
  input: LineListInput,
): Promise<{ lines: LineView[]; nextCursor: string | null }> {
  const f = { ...input, state: input.state ?? "all", limit: input.limit ?? LINE_PAGE_SIZE };
  const cursor = decodeCursor(f.cursor, ["any", "int"]);
  if (f.cursor && !cursor)
    throw new AppError(
      "invalid_request",
      "The cursor is not valid; start again from the first page.",
      { field: "cursor" },
    );
  const where: (SQL | undefined)[] = [eq(statementLines.importId, importId)];
  if (f.state !== "all") where.push(eq(statementLines.matchState, f.state));
  if (cursor) where.push(gt(statementLines.id, Number(cursor[1])));
  const rows = await db
    .select()
    .from(statementLines)
    .where(and(...where))
    .orderBy(asc(statementLines.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);

  const paymentIds = [
    ...new Set(
      page.flatMap((l) => [l.paymentId, l.proposedPaymentId].filter((id): id is string => !!id)),
    ),
  ];
  const [linked, lineExceptions] = await Promise.all([
    paymentIds.length ? db.select().from(payments).where(inArray(payments.id, paymentIds)) : [],
    page.length
      ? db
          .select({
            id: exceptions.id,
            type: exceptions.type,
            status: exceptions.status,
            lineId: exceptions.statementLineId,
          })
          .from(exceptions)
          .where(
            inArray(
              exceptions.statementLineId,
              page.map((l) => l.id),
            ),
          )
      : [],
  ]);
  const byId = new Map(linked.map((p) => [p.id, p]));
  const exceptionByLine = new Map(lineExceptions.map((x) => [x.lineId, x]));
  const lines = page.map((l): LineView => {
    const proposed =
      l.proposedPaymentId && l.matchState === "proposed"
        ? byId.get(l.proposedPaymentId)
        : undefined;
    const witness = parseOtherPartyInfo(l.otherPartyInfo ?? "").msisdn;
    const x = exceptionByLine.get(l.id);
    return {
      id: l.id,
      receipt: l.receipt,
      status: l.transactionStatus,
      completedAt: iso(l.completedAt),
      direction: l.direction,
      paidIn: l.paidInKes,
      withdrawn: l.withdrawnKes,
      details: l.details,
      reasonType: l.reasonType,
      otherPartyInfo: l.otherPartyInfo,
      accountNo: l.accountNo,
      linkedTransactionId: l.linkedTransactionId,
      matchState: l.matchState,
      paymentId: l.paymentId,
      paymentOrderRef: l.paymentId ? (byId.get(l.paymentId)?.orderRef ?? null) : null,
      proposal:
        proposed && l.completedAt
          ? {
              paymentId: proposed.id,
              orderRef: proposed.orderRef,
              amount: proposed.amountKes,
              phone: proposed.phone,
              status: proposed.status,
              createdAt: proposed.createdAt.toISOString(),
              // The same comparison the matcher made, recomputed so finance sees why this payment was proposed.
              evidence: candidateEvidence(
                { amountKes: l.paidInKes, at: l.completedAt, ref: l.accountNo },
                proposed,
                witness.kind === "unknown" ? null : msisdnMatches(proposed.phone, witness),
              ),
            }
          : null,
      exception: x ? { id: x.id, type: x.type, status: x.status } : null,
    };
  });
  const last = page[page.length - 1];
  return {
    lines,
    nextCursor: rows.length > f.limit && last ? encodeCursor([last.id, last.id]) : null,
  };
}
