// The per-line matcher as it was before issue 18: 1,000 lines per transaction, each line
// decided in JavaScript. The application now matches with set-based statements (match.server.ts); this
// stays as the reference that match-equivalence.server.test.ts compares it with, line by line.
import { and, asc, between, eq, getTableColumns, gt, inArray, or, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../db/client";
import { exceptions, payments, statementLines, type Payment } from "../../db/schema";
import type { AppContext } from "../../app/context.server";
import { formatKes } from "../../app/lib/money";
import { formatEat } from "../../app/lib/time";
import { openExceptions, type OpenException } from "../../app/modules/ledger/cases.server";
import { applyReceiptMatch } from "../../app/modules/ledger/receipt-match.server";
import { statementCaseKey } from "../../app/modules/reconciliation/cases.server";
import { normalizeBillRef } from "../../app/modules/reconciliation/c2b-parse";
import {
  CANDIDATE_WINDOW_MS,
  TIME_TOLERANCE_MS,
  candidateEvidence,
  pickCandidate,
  withinTolerance,
} from "../../app/modules/reconciliation/match-rules";
import { msisdnMatches } from "../../app/modules/reconciliation/msisdn-match.server";
import { resolveMissingFromStatement } from "../../app/modules/reconciliation/match-owned.server";
import {
  applyReversals,
  flagMissingFromStatement,
} from "../../app/modules/reconciliation/statement-checks.server";
import {
  STATEMENT_ACTOR,
  countException,
  describeLine,
  emptyMatchSummary,
  type LineOutcome,
  type MatchLine,
  type MatchSummary,
} from "../../app/modules/reconciliation/match.server";
import { parseOtherPartyInfo } from "../../app/modules/reconciliation/other-party";

const BATCH_SIZE = 1_000;

const { raw: _raw, ...LINE_COLUMNS } = getTableColumns(statementLines);

type KnownReceipt = {
  receipt: string;
  paymentId: string | null;
  amountKes: number;
  transactionAt: Date | null;
  firstSource: string;
};

/** Works every not-yet-matched line of an import; safe to run again (it resumes where it stopped). */
export async function matchStatementImportPerLine(
  ctx: AppContext,
  importId: string,
): Promise<MatchSummary> {
  const summary = emptyMatchSummary();
  // Usually none or a handful: read once, so each batch settles only the ones it actually confirms.
  const suspected = new Set(
    (
      await ctx.db
        .select({ id: exceptions.paymentId })
        .from(exceptions)
        .where(
          and(
            eq(exceptions.type, "missing_from_statement"),
            inArray(exceptions.status, ["open", "awaiting_approval"]),
          ),
        )
    ).flatMap((r) => r.id ?? []),
  );
  // Keyset over the import's lines: each batch starts after the last one instead of re-reading it.
  let after = 0;
  for (;;) {
    const worked = await ctx.db.transaction((tx) =>
      matchBatch(
        { tx, now: ctx.now(), summary, suspected, outcomes: new Map(), exceptions: [] },
        importId,
        after,
      ),
    );
    if (worked.count < BATCH_SIZE) break;
    after = worked.lastId;
  }
  summary.missingFromStatement = await flagMissingFromStatement(ctx, importId, STATEMENT_ACTOR);
  if (summary.missingFromStatement)
    countException(summary, "missing_from_statement", summary.missingFromStatement);
  return summary;
}

async function matchBatch(
  batch: Batch,
  importId: string,
  after: number,
): Promise<{ count: number; lastId: number }> {
  const { tx, now, summary } = batch;
  // Two processes finishing the same import take turns per batch (cheaper than locking 1,000 rows);
  // the second then finds those lines no longer new.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`statement_import:${importId}`}))`);
  const lines = await tx
    .select(LINE_COLUMNS)
    .from(statementLines)
    .where(
      and(
        eq(statementLines.importId, importId),
        gt(statementLines.id, after),
        eq(statementLines.matchState, "new"),
      ),
    )
    .orderBy(asc(statementLines.id))
    .limit(BATCH_SIZE);
  if (lines.length === 0) return { count: 0, lastId: after };
  await matchPaidIn(
    batch,
    lines.filter((l) => l.direction === "in"),
  );
  await applyReversals(
    tx,
    now,
    lines.filter((l) => l.direction === "out"),
    batch.outcomes,
    summary,
    STATEMENT_ACTOR,
  );
  // Thousands of statement_only cases in one statement are one INSERT, not thousands.
  for (const type of await openExceptions(tx, STATEMENT_ACTOR, batch.exceptions))
    countException(summary, type, 1);
  await writeOutcomes(tx, batch.outcomes);
  return { count: lines.length, lastId: lines[lines.length - 1].id };
}

type Batch = {
  tx: Db;
  now: Date;
  summary: MatchSummary;
  suspected: Set<string>;
  outcomes: Map<number, LineOutcome>;
  exceptions: OpenException[];
};

async function matchPaidIn(batch: Batch, lines: MatchLine[]) {
  const { tx, outcomes } = batch;
  if (lines.length === 0) return;
  const known = await recordWitnesses(tx, lines);
  const ownerIds = [
    ...new Set([...known.values()].flatMap((r) => (r.paymentId ? [r.paymentId] : []))),
  ];
  const owners = new Map(
    ownerIds.length
      ? (await tx.select().from(payments).where(inArray(payments.id, ownerIds))).map((p) => [
          p.id,
          p,
        ])
      : [],
  );

  const unplaced: MatchLine[] = [];
  const confirmed: string[] = [];
  for (const line of lines) {
    const receipt = known.get(line.receipt);
    const owner = receipt?.paymentId ? owners.get(receipt.paymentId) : undefined;
    if (!receipt || !owner) {
      unplaced.push(line);
      continue;
    }
    const outcome = checkAgainstOwner(batch, line, receipt, owner);
    outcomes.set(line.id, outcome);
    if (outcome.state === "matched") confirmed.push(owner.id);
  }
  await resolveMissingFromStatement(
    tx,
    batch.now,
    confirmed.filter((id) => batch.suspected.has(id)),
  );
  if (unplaced.length) await proposeOrReport(batch, unplaced, known);
}

// Every Completed paid-in line is money: it joins the receipt ledger unless the receipt is already
// there. One JSON parameter per batch, like the line insert (import.server.ts); the rows that existed
// before (xmax set by the no-op update) come back as the receipts we already knew.
async function recordWitnesses(tx: Db, lines: MatchLine[]): Promise<Map<string, KnownReceipt>> {
  const rows = lines.map((line) => {
    const party = parseOtherPartyInfo(line.otherPartyInfo ?? "");
    return {
      receipt: line.receipt,
      amountKes: line.paidInKes,
      transactionAt: line.completedAt,
      phone: party.msisdn.plain ?? null,
      billRefRaw: line.accountNo,
      billRefNorm: line.accountNo ? normalizeBillRef(line.accountNo) : null,
      msisdnRaw: party.msisdn.raw || null,
      msisdnKind: party.msisdn.kind,
      payerName: party.name,
    };
  });
  const result = await tx.execute(sql`
    insert into receipts (receipt, amount_kes, transaction_at, phone, bill_ref_raw, bill_ref_norm, msisdn_raw, msisdn_kind, payer_name, first_source)
    select receipt, "amountKes", "transactionAt", phone, "billRefRaw", "billRefNorm", "msisdnRaw", "msisdnKind", "payerName", 'statement'
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(receipt text, "amountKes" bigint, "transactionAt" timestamptz, phone text,
      "billRefRaw" text, "billRefNorm" text, "msisdnRaw" text, "msisdnKind" text, "payerName" text)
    on conflict (receipt) do update set first_source = receipts.first_source
    returning receipt, payment_id, amount_kes, transaction_at, first_source, xmax <> 0 as existed`);
  type Row = {
    receipt: string;
    payment_id: string | null;
    amount_kes: number | string;
    transaction_at: Date | string | null;
    first_source: string;
    existed: boolean;
  };
  // Raw rows: the two drivers differ on bigint and timestamptz, so both are normalised here.
  return new Map(
    rowsOf<Row>(result)
      .filter((r) => r.existed)
      .map((r) => [
        r.receipt,
        {
          receipt: r.receipt,
          paymentId: r.payment_id,
          amountKes: Number(r.amount_kes),
          transactionAt: r.transaction_at ? new Date(r.transaction_at) : null,
          firstSource: r.first_source,
        },
      ]),
  );
}

function checkAgainstOwner(
  batch: Batch,
  line: MatchLine,
  receipt: KnownReceipt,
  owner: Payment,
): LineOutcome {
  const at = line.completedAt as Date; // Completed rows always carry a completion time (the parser insists)
  const witnesses = {
    statement: {
      receipt: line.receipt,
      amountKes: line.paidInKes,
      completedAt: at.toISOString(),
      lineId: line.id,
    },
    payment: {
      id: owner.id,
      orderRef: owner.orderRef,
      amountKes: owner.amountKes,
      status: owner.status,
      paidAt: owner.paidAt?.toISOString() ?? null,
    },
    receipt: {
      amountKes: receipt.amountKes,
      transactionAt: receipt.transactionAt?.toISOString() ?? null,
      firstSource: receipt.firstSource,
    },
  };
  if (line.paidInKes !== owner.amountKes) {
    reportLine(
      batch,
      line,
      owner.id,
      "amount_mismatch",
      `The statement shows ${formatKes(line.paidInKes)} for receipt ${line.receipt}; the payment asked for ${formatKes(owner.amountKes)}`,
      witnesses,
    );
    return { state: "exception", paymentId: owner.id };
  }
  const expectedAt = receipt.transactionAt ?? owner.paidAt;
  if (expectedAt && !withinTolerance(at, expectedAt)) {
    const minutes = Math.round(Math.abs(at.getTime() - expectedAt.getTime()) / 60_000);
    reportLine(
      batch,
      line,
      owner.id,
      "time_mismatch",
      `Receipt ${line.receipt} completed ${formatEat(at)} on the statement, ${minutes} minutes from ${formatEat(expectedAt)} recorded for the payment`,
      witnesses,
    );
    return { state: "exception", paymentId: owner.id };
  }
  batch.summary.matched += 1;
  return { state: "matched", paymentId: owner.id };
}

// Lines whose receipt no payment owns: a unique candidate is proposed (or, for a paid payment still
// waiting for its receipt, completed); otherwise the money is reported.
async function proposeOrReport(batch: Batch, lines: MatchLine[], known: Map<string, KnownReceipt>) {
  const { tx, now, outcomes, summary } = batch;
  const candidates = await loadCandidates(tx, lines);
  const taken = new Set<string>();
  for (const line of lines) {
    const at = line.completedAt as Date;
    const witness = parseOtherPartyInfo(line.otherPartyInfo ?? "").msisdn;
    const evidence = (candidates.get(line.paidInKes) ?? [])
      .filter((p) => !taken.has(p.id))
      .map((p) =>
        candidateEvidence(
          { amountKes: line.paidInKes, at, ref: line.accountNo },
          p,
          witness.kind === "unknown" ? null : msisdnMatches(p.phone, witness),
        ),
      );
    const { chosen, eligible } = pickCandidate(evidence);
    const payment = chosen
      ? (candidates.get(line.paidInKes) ?? []).find((p) => p.id === chosen.paymentId)
      : undefined;
    if (payment) {
      taken.add(payment.id);
      if (payment.status === "paid") {
        // Paid by STK Query with the receipt still to come: the statement brings it.
        const applied = await applyReceiptMatch(tx, STATEMENT_ACTOR, {
          paymentId: payment.id,
          receipt: line.receipt,
          amountKes: line.paidInKes,
          transactionAt: at,
          source: "statement",
          confirmedByStaff: false,
          evidence: describeLine(line),
          now,
          statementLineId: line.id,
        });
        if (applied.outcome === "receipt_attached") {
          await resolveMissingFromStatement(tx, now, [payment.id]);
          summary.receiptsAttached += 1;
          summary.matched += 1;
          outcomes.set(line.id, { state: "matched", paymentId: payment.id });
          continue;
        }
      }
      summary.proposed += 1;
      outcomes.set(line.id, { state: "proposed", proposedPaymentId: payment.id });
      continue;
    }
    if (known.has(line.receipt)) {
      // A C2B confirmation or orphan callback already put this money in the queue; one case is enough.
      summary.unmatched += 1;
      outcomes.set(line.id, { state: "unmatched" });
      continue;
    }
    reportLine(
      batch,
      line,
      null,
      "statement_only",
      `${formatKes(line.paidInKes)} arrived ${formatEat(at)} (receipt ${line.receipt}${line.accountNo ? `, A/C ${line.accountNo}` : ""}) and no payment knows it`,
      {
        statement: {
          receipt: line.receipt,
          amountKes: line.paidInKes,
          completedAt: at.toISOString(),
          accountNo: line.accountNo,
          otherPartyInfo: line.otherPartyInfo,
          reasonType: line.reasonType,
        },
        ambiguousCandidates: eligible,
      },
    );
    outcomes.set(line.id, { state: "exception" });
  }
}

/** Payments that could own money without a known receipt, grouped by amount; already-proposed ones are left out. */
async function loadCandidates(tx: Db, lines: MatchLine[]): Promise<Map<number, Payment[]>> {
  const times = lines.map((l) => (l.completedAt as Date).getTime());
  const rows = await tx
    .select()
    .from(payments)
    .where(
      and(
        or(
          inArray(payments.status, ["pending", "unknown", "expired"]),
          and(eq(payments.status, "paid"), eq(payments.receiptPending, true)),
        ),
        inArray(payments.amountKes, [...new Set(lines.map((l) => l.paidInKes))]),
        between(
          payments.createdAt,
          new Date(Math.min(...times) - CANDIDATE_WINDOW_MS),
          new Date(Math.max(...times) + TIME_TOLERANCE_MS),
        ),
      ),
    );
  if (rows.length === 0) return new Map();
  const proposed = new Set(
    (
      await tx
        .select({ id: statementLines.proposedPaymentId })
        .from(statementLines)
        .where(
          and(
            eq(statementLines.matchState, "proposed"),
            inArray(
              statementLines.proposedPaymentId,
              rows.map((p) => p.id),
            ),
          ),
        )
    ).map((r) => r.id),
  );
  const byAmount = new Map<number, Payment[]>();
  for (const p of rows)
    if (!proposed.has(p.id)) byAmount.set(p.amountKes, [...(byAmount.get(p.amountKes) ?? []), p]);
  return byAmount;
}

function reportLine(
  batch: Batch,
  line: MatchLine,
  paymentId: string | null,
  type: "amount_mismatch" | "time_mismatch" | "statement_only",
  text: string,
  details: unknown,
) {
  batch.exceptions.push({
    type,
    dedupeKey: statementCaseKey(type, line.receipt),
    paymentId,
    statementLineId: line.id,
    receipt: line.receipt,
    amountAtStakeKes: line.paidInKes,
    summary: text,
    details,
  });
  batch.summary.exceptions += 1;
}

// One UPDATE per batch, its rows as one JSON parameter, instead of a thousand single-row updates.
async function writeOutcomes(tx: Db, outcomes: Map<number, LineOutcome>) {
  if (outcomes.size === 0) return;
  const rows = [...outcomes].map(([id, o]) => ({
    id,
    state: o.state,
    paymentId: o.paymentId ?? null,
    proposedPaymentId: o.proposedPaymentId ?? null,
  }));
  await tx.execute(sql`update statement_lines as sl set match_state = v.state, payment_id = v."paymentId", proposed_payment_id = v."proposedPaymentId"
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id bigint, state text, "paymentId" uuid, "proposedPaymentId" uuid) where sl.id = v.id`);
}
