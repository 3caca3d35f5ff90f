// Issue 18: the set-based matcher must reach the same verdicts as the per-line matcher it replaced.
// Two databases get the same payments, receipts and open cases, then the same generated statement;
// one is matched set-based (the application's path), the other by the per-line reference
// (match-per-line.server.ts). Every line, case, payment and receipt is compared, line by line.
import { randomUUID } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import {
  exceptions,
  paymentEvents,
  payments,
  receipts,
  statementLines,
  webhookEvents,
} from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import {
  buildStatementCsv,
  generateStatementLines,
  type StatementFixtureLine,
} from "../../../tests/support/statement-file";
import { importStatement, queueStatementImport, runStatementImport } from "./import.server";
import { compactRef } from "./match-rules";
import { matchStatementImportPerLine } from "../../../tests/support/match-per-line";
import type { AppContext } from "../../context.server";

let setBased: TestApp;
let perLine: TestApp;

beforeAll(async () => {
  [setBased, perLine] = await Promise.all([startTestApp(), startTestApp()]);
});
afterAll(async () => {
  await Promise.all([setBased?.close(), perLine?.close()]);
});

const LINES = 1_600;
const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);

type Seed = {
  payments: (typeof payments.$inferInsert)[];
  receipts: (typeof receipts.$inferInsert)[];
  exceptions: (typeof exceptions.$inferInsert)[];
};

/**
 * Every kind of verdict, by a fixed rule on the line's position: owned and agreeing, owned with another
 * amount or a time far off, a pending/expired payment to propose (by reference, by phone, or two that
 * fit equally), a paid payment waiting for its receipt, money a C2B confirmation already queued, and
 * plain unknown money; reversals refund what they reverse. Ids are fixed so both databases agree.
 */
function seedFor(lines: StatementFixtureLine[]): Seed {
  const seed: Seed = { payments: [], receipts: [], exceptions: [] };
  const payment = (
    line: StatementFixtureLine,
    i: number,
    overrides: Partial<typeof payments.$inferInsert>,
  ) => {
    const at = line.completedAt;
    const row: typeof payments.$inferInsert = {
      id: randomUUID(),
      orderRef: `EQ-${i}`,
      amountKes: line.amountKes,
      phone: line.msisdn && !line.msisdn.includes("*") ? line.msisdn : "254700000001",
      description: "equivalence",
      accountReference: compactRef(line.accountNo).slice(0, 12) || "EQ",
      status: "paid",
      receipt: line.receipt,
      createdAt: minutes(at, -1),
      updatedAt: at,
      paidAt: new Date(at.getTime() + 2_000),
      finalAt: at,
      ...overrides,
    };
    seed.payments.push(row);
    return row;
  };
  lines.forEach((line, i) => {
    if (line.direction === "out" || (line.status ?? "Completed") !== "Completed") return;
    if (line.amountKes > 250_000) return;
    const at = line.completedAt;
    const kind = i % 20;
    if (kind <= 9) {
      // Owned: matched, or (one in ten) another amount, or a receipt time far from the statement's.
      const p = payment(line, i, kind === 9 ? { amountKes: line.amountKes + 1 } : {});
      seed.receipts.push({
        receipt: line.receipt,
        amountKes: p.amountKes,
        paymentId: p.id,
        transactionAt: kind === 8 ? minutes(at, 30) : at,
        firstSource: "stk_callback",
        seenInCallback: true,
      });
      // An earlier statement's suspicion the line now settles.
      if (kind === 7 && i % 40 === 7)
        seed.exceptions.push({
          type: "missing_from_statement",
          dedupeKey: `missing_from_statement:${p.id}`,
          paymentId: p.id,
          receipt: line.receipt,
          amountAtStakeKes: p.amountKes,
          summary: "suspected",
        });
    } else if (kind === 10) {
      payment(line, i, { status: "pending", receipt: null, paidAt: null, finalAt: null });
    } else if (kind === 11) {
      // Proposed by phone alone: the reference does not agree.
      payment(line, i, {
        status: "expired",
        receipt: null,
        paidAt: null,
        accountReference: "OTHERREF",
        phone: "254711111111",
      });
    } else if (kind === 12) {
      payment(line, i, { status: "paid", receipt: null, receiptPending: true });
    } else if (kind === 13) {
      // Two payments fit equally: nothing is proposed, the case lists both.
      payment(line, i, { status: "pending", receipt: null, paidAt: null, finalAt: null });
      payment(line, i + 100_000, {
        status: "unknown",
        receipt: null,
        paidAt: null,
        finalAt: null,
        createdAt: minutes(at, -3),
      });
    } else if (kind === 14) {
      // A C2B confirmation already queued this money.
      seed.receipts.push({
        receipt: line.receipt,
        amountKes: line.amountKes,
        transactionAt: at,
        firstSource: "c2b",
        seenInC2b: true,
      });
    }
    // 15..19: money no payment knows (statement_only).
  });
  // A paid payment inside the period with no line at all.
  const first = lines[0].completedAt;
  payment({ ...lines[0], receipt: "ZZZMISSING1" }, 999_999, { createdAt: minutes(first, 5) });
  seed.receipts.push({
    receipt: "ZZZMISSING1",
    amountKes: lines[0].amountKes,
    paymentId: seed.payments[seed.payments.length - 1].id,
    transactionAt: minutes(first, 6),
    firstSource: "stk_callback",
  });
  return seed;
}

async function load(ctx: AppContext, seed: Seed) {
  for (let i = 0; i < seed.payments.length; i += 500)
    await ctx.db.insert(payments).values(seed.payments.slice(i, i + 500));
  for (let i = 0; i < seed.receipts.length; i += 500)
    await ctx.db.insert(receipts).values(seed.receipts.slice(i, i + 500));
  if (seed.exceptions.length) await ctx.db.insert(exceptions).values(seed.exceptions);
}

async function state(ctx: AppContext) {
  const lines = await ctx.db
    .select({
      receipt: statementLines.receipt,
      status: statementLines.transactionStatus,
      matchState: statementLines.matchState,
      paymentId: statementLines.paymentId,
      proposedPaymentId: statementLines.proposedPaymentId,
    })
    .from(statementLines)
    .orderBy(asc(statementLines.id));
  const cases = (
    await ctx.db
      .select({
        type: exceptions.type,
        status: exceptions.status,
        dedupeKey: exceptions.dedupeKey,
        paymentId: exceptions.paymentId,
        receipt: exceptions.receipt,
        amount: exceptions.amountAtStakeKes,
        summary: exceptions.summary,
        details: exceptions.details,
        resolution: exceptions.resolution,
      })
      .from(exceptions)
      .orderBy(asc(exceptions.dedupeKey))
  ).map((c) => ({ ...c, details: normalizeDetails(c.details) }));
  const pays = await ctx.db
    .select({
      id: payments.id,
      status: payments.status,
      receipt: payments.receipt,
      receiptPending: payments.receiptPending,
    })
    .from(payments)
    .orderBy(asc(payments.id));
  const ledger = await ctx.db
    .select({
      receipt: receipts.receipt,
      paymentId: receipts.paymentId,
      amountKes: receipts.amountKes,
      reversedBy: receipts.reversedByReceipt,
      msisdnKind: receipts.msisdnKind,
      phone: receipts.phone,
      billRefNorm: receipts.billRefNorm,
      payerName: receipts.payerName,
    })
    .from(receipts)
    .orderBy(asc(receipts.receipt));
  return { lines, cases, pays, ledger, ...(await timelines(ctx)) };
}

// What staff and merchants see of the import: each payment's timeline in order, and the webhook events
// (compared as a set: the two matchers announce in a different order), without ids and clock times.
async function timelines(ctx: AppContext) {
  const events = (
    await ctx.db
      .select({
        paymentId: paymentEvents.paymentId,
        type: paymentEvents.type,
        actorType: paymentEvents.actorType,
        actorLabel: paymentEvents.actorLabel,
        summary: paymentEvents.summary,
        data: paymentEvents.data,
      })
      .from(paymentEvents)
      .orderBy(asc(paymentEvents.paymentId), asc(paymentEvents.id))
  )
    .map((e) => ({ ...e, data: normalizeEventData(e.data) }))
    // The reference opens a batch's cases after its reversals, the set-based matcher before: each
    // payment's cases are compared first, then the rest of its timeline in order.
    // A total order (by payment, then cases first); within that the sort is stable, so each
    // payment's events keep the order they were written in.
    // Cases among themselves (a payment may have a mismatch and a partial reversal) by their text.
    .sort(
      (x, y) =>
        String(x.paymentId).localeCompare(String(y.paymentId)) ||
        Number(y.type === "exception_opened") - Number(x.type === "exception_opened") ||
        (x.type === "exception_opened" && y.type === "exception_opened"
          ? x.summary.localeCompare(y.summary)
          : 0),
    );
  const hooks = (
    await ctx.db
      .select({
        type: webhookEvents.type,
        paymentId: webhookEvents.paymentId,
        caseKey: exceptions.dedupeKey,
        payload: webhookEvents.payload,
      })
      .from(webhookEvents)
      .leftJoin(exceptions, eq(exceptions.id, webhookEvents.exceptionId))
  )
    .map(({ payload, ...h }) => {
      const p = payload as {
        previousStatus?: string;
        payment?: { status: string; statusReason: string | null; receipt: string | null };
        case?: { type: string; status: string; summary: string; amountAtStake: number };
      };
      const { type, status, summary, amountAtStake } = p.case ?? {};
      return {
        ...h,
        previousStatus: p.previousStatus ?? null,
        // A case's snapshot of its payment depends on which the matcher did first (see above).
        payment:
          p.payment && !p.case
            ? [p.payment.status, p.payment.statusReason, p.payment.receipt].join(" | ")
            : null,
        case: p.case ? [type, status, summary, amountAtStake].join(" | ") : null,
      };
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { events, hooks };
}

function normalizeEventData(data: unknown): unknown {
  if (!data || typeof data !== "object") return data;
  const d = { ...(data as Record<string, unknown>) };
  if ("exceptionId" in d) d.exceptionId = "(case)";
  if ("statementLineId" in d) d.statementLineId = "(line)";
  return d;
}

// Line and import ids and the order candidates were listed in are the database's business, not a verdict.
function normalizeDetails(details: unknown): unknown {
  if (!details || typeof details !== "object") return details;
  const d = structuredClone(details) as {
    statement?: { lineId?: unknown };
    ambiguousCandidates?: { paymentId: string }[];
    importId?: string;
  };
  if (d.importId) d.importId = "(import)";
  if (d.statement && "lineId" in d.statement) d.statement.lineId = "(line)";
  d.ambiguousCandidates?.sort((a, b) => a.paymentId.localeCompare(b.paymentId));
  return d;
}

it("reaches the same verdict as the per-line matcher on every line of a generated statement", async () => {
  const lines = [...generateStatementLines(LINES, 7)];
  const seed = seedFor(lines);
  await Promise.all([load(setBased.ctx, seed), load(perLine.ctx, seed)]);
  const csv = Buffer.from(buildStatementCsv({ lines }));
  const actor = { kind: "system", label: "equivalence" } as const;

  const fast = await importStatement(setBased.ctx, { fileName: "eq.csv", input: csv, actor });
  const queued = await queueStatementImport(
    perLine.ctx,
    { fileName: "eq.csv", input: csv, actor },
    true,
  );
  if (queued.status !== "queued") throw new Error("the reference database already had the file");
  const slow = await runStatementImport(perLine.ctx, queued.importId, {
    keepFailed: false,
    matcher: matchStatementImportPerLine,
  });

  // The generated statement exercises every verdict, so a comparison of empty sets cannot pass.
  expect(fast.summary.match).toMatchObject({
    matched: expect.any(Number),
    proposed: expect.any(Number),
  });
  const m = fast.summary.match!;
  for (const n of [
    m.matched,
    m.receiptsAttached,
    m.proposed,
    m.unmatched,
    m.refunded,
    m.missingFromStatement,
  ])
    expect(n).toBeGreaterThan(0);
  for (const type of ["amount_mismatch", "time_mismatch", "statement_only", "partial_reversal"])
    expect(m.exceptionsByType[type]).toBeGreaterThan(0);
  expect(fast.summary.match).toEqual(slow?.summary.match);

  const [a, b] = await Promise.all([state(setBased.ctx), state(perLine.ctx)]);
  expect(a.lines.length).toBe(LINES);
  for (let i = 0; i < a.lines.length; i++) expect(a.lines[i]).toEqual(b.lines[i]);
  expect(a.cases.length).toBe(b.cases.length);
  for (let i = 0; i < a.cases.length; i++) expect(a.cases[i]).toEqual(b.cases[i]);
  expect(a.pays).toEqual(b.pays);
  expect(a.ledger).toEqual(b.ledger);
  expect(a.events.filter((e) => e.type === "reversal").length).toBeGreaterThan(0);
  expect(a.events.length).toBe(b.events.length);
  for (let i = 0; i < a.events.length; i++) expect(a.events[i]).toEqual(b.events[i]);
  expect(a.hooks.length).toBe(b.hooks.length);
  for (let i = 0; i < a.hooks.length; i++) expect(a.hooks[i]).toEqual(b.hooks[i]);
}, 180_000); // two imports of a generated month, on a machine other test files share
