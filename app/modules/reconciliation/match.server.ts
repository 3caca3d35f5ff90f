// Matching statement lines to payments (docs/daraja.md#statement-matching), set-based: receipts we
// already know, money no payment asked for and reversals (through the payment gate's set-based
// refund) are settled by a few statements over the whole import; only lines with a candidate payment
// are read in chunks and decided one by one in Node. ONE transaction per import: a crash leaves
// every line `new` for the next run, never half applied. Reference: tests/support/match-per-line.ts.
import { asc, getTableColumns, inArray, sql, type SQL } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { payments, statementLines, type Payment, type StatementLine } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { applyReceiptMatch } from "../ledger/receipt-match.server";
import type { EventActor } from "../ledger/events.server";
import { recordStatementReceipts } from "../ledger/statement-receipts.server";
import {
  countException,
  describeLine,
  emptyMatchSummary,
  mismatchCase,
  openCasesInBulk,
  statementOnlyCase,
  openStatementOnlyCases,
  type KnownRow,
  type StatementCase,
} from "./cases.server";
import { byPaymentOrder, candidateEvidence, pickCandidate, TIME_TOLERANCE_MS } from "./match-rules";
import { matchedPaymentsOf, resolveMissingFromStatement } from "./match-owned.server";
import { msisdnMatches } from "./msisdn-match.server";
import { applyReversalsOf, missingFromStatementOf } from "./statement-checks.server";
import { parseOtherPartyInfo } from "./other-party";
import type { StoreSettled } from "./line-mover.server";

export { countException, describeLine, emptyMatchSummary } from "./cases.server";

export const STATEMENT_ACTOR: EventActor = { kind: "system", label: "statement reconciliation" };
const CHUNK = 2_000;
/** The lines a set-based step took (takeNewLines), dropped at the end of the transaction. */
const TAKEN = sql.raw("statement_taken_lines");

export type MatchSummary = {
  matched: number;
  receiptsAttached: number;
  proposed: number;
  exceptions: number;
  unmatched: number;
  reversals: number;
  reversalsUnlinked: number;
  refunded: number;
  missingFromStatement: number;
  exceptionsByType: Record<string, number>;
};

/** A statement line as matching reads it (the raw cells stay in the database). */
export type MatchLine = Omit<StatementLine, "raw">;
const { raw: _raw, ...LINE_COLUMNS } = getTableColumns(statementLines);

export type LineOutcome = {
  state: "matched" | "proposed" | "exception" | "unmatched" | "reversal";
  paymentId?: string | null;
  proposedPaymentId?: string | null;
};

export type MatchProgress = (settled: number) => void | Promise<void>;

/** How long each set-based step took (the benchmark prints it). */
export type MatchTrace = (step: string, ms: number) => void;

/**
 * Matches every not-yet-matched line of an import; safe to run again (a finished import has none).
 * `beforeCommit` (the job's claim check) runs last in the transaction; its answer is the summary.
 */
export async function matchStatementImport(
  ctx: AppContext,
  importId: string,
  progress?: MatchProgress,
  trace?: MatchTrace,
  beforeCommit?: (tx: Db, summary: MatchSummary) => Promise<MatchSummary>,
  settledAtStore?: StoreSettled,
): Promise<MatchSummary> {
  let [summary, resumed] = [emptyMatchSummary(), false];
  await ctx.db.transaction(async (tx) => {
    // As in the store step (staging.server.ts): JIT compiling costs more than it saves here.
    await tx.execute(sql`set local jit = off`);
    // Two processes finishing the same import take turns; the second then finds no line still new.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`statement_import:${importId}`}))`,
    );
    await new SetMatcher(tx, ctx.now(), importId, summary, progress, trace).run(settledAtStore);
    const kept = beforeCommit ? await beforeCommit(tx, summary) : summary;
    resumed = kept !== summary;
    summary = kept;
  });
  const t0 = performance.now();
  const missing = await missingFromStatementOf(ctx, importId, STATEMENT_ACTOR, resumed);
  trace?.("missing_from_statement", performance.now() - t0);
  summary.missingFromStatement += missing;
  if (missing) countException(summary, "missing_from_statement", missing);
  return summary;
}

class SetMatcher {
  private settled = 0;
  private casesMs = 0;
  constructor(
    private readonly tx: Db,
    private readonly now: Date,
    private readonly importId: string,
    private readonly summary: MatchSummary,
    private readonly progress?: MatchProgress,
    private readonly trace?: MatchTrace,
  ) {}

  async run(settledAtStore?: StoreSettled) {
    const steps: [string, () => Promise<void>][] = [
      ["count", () => this.countSettled(settledAtStore)],
      // Every Completed paid-in line is money: it joins the receipt ledger (priced by the tariff) unless
      // its receipt is there; the receipts we knew are kept in the temp table statement_known_receipts.
      ["witnesses", () => recordStatementReceipts(this.tx, this.importId)],
      ["owned", () => this.matchOwned()],
      ["mismatches", () => this.reportMismatches()],
      ["candidates", () => this.proposeCandidates()],
      ["statement_only", () => this.settleTheRest()],
      ["reversals", () => this.reverse()],
    ];
    for (const [name, step] of steps) {
      const t0 = performance.now();
      await step();
      this.trace?.(name, performance.now() - t0);
    }
    this.trace?.("(of which opening cases)", this.casesMs);
  }

  // What the store step settled: lines it wrote `matched` (match-owned.server.ts; what matching owes
  // them besides their row is done with the owned step's) and lines with nothing to match. One pass
  // over the import counts both, unless this run's store step counted them as it wrote them.
  private async countSettled(atStore?: StoreSettled) {
    const [row] = atStore
      ? [atStore]
      : rowsOf<StoreSettled>(
          await this.tx
            .execute(sql`select count(*) filter (where match_state <> 'new')::int as settled,
            count(*) filter (where match_state = 'matched')::int as matched
          from statement_lines where import_id = ${this.importId}`),
        );
    this.summary.matched += Number(row?.matched ?? 0);
    await this.tick(Number(row?.settled ?? 0));
  }

  private async tick(n: number) {
    this.settled += n;
    await this.progress?.(this.settled);
  }

  private newLines(direction: "in" | "out") {
    return sql`l.import_id = ${this.importId} and l.match_state = 'new' and l.direction = ${direction}`;
  }

  // Lines whose receipt a payment owns, with amount and time agreeing: matched in one UPDATE, and any
  // earlier missing_from_statement suspicion about the payments of every matched line of the import
  // (these and the ones the store step wrote matched) settled through the case gate.
  private async matchOwned() {
    const tolerance = `${TIME_TOLERANCE_MS / 1000} seconds`;
    const [row] = rowsOf<{ matched: number | string }>(
      await this.tx.execute(sql`
      with m as (
        update statement_lines l set match_state = 'matched', payment_id = p.id
        from statement_known_receipts k join payments p on p.id = k.payment_id
        where ${this.newLines("in")} and k.receipt = l.receipt and l.paid_in_kes = p.amount_kes
          and (coalesce(k.transaction_at, p.paid_at) is null
            or l.completed_at between coalesce(k.transaction_at, p.paid_at) - ${tolerance}::interval
                                  and coalesce(k.transaction_at, p.paid_at) + ${tolerance}::interval)
        returning l.payment_id, l.receipt),
      -- What is left in the table is what later steps ask about: receipts no payment owns, and mismatches.
      d as (delete from statement_known_receipts k where k.receipt in (select receipt from m))
      select count(*) as matched from m`),
    );
    await resolveMissingFromStatement(this.tx, this.now, matchedPaymentsOf(this.importId));
    const matched = Number(row?.matched ?? 0);
    this.summary.matched += matched;
    await this.tick(matched);
  }

  // What is left of the owned lines disagrees with its payment: an exception with both witnesses each.
  private async reportMismatches() {
    for (let after = 0; ;) {
      const rows = rowsOf<KnownRow>(
        await this.tx.execute(sql`
        select l.id, l.receipt, l.paid_in_kes, l.completed_at, k.amount_kes as r_amount_kes, k.transaction_at as r_transaction_at,
          k.first_source, p.id as payment_id, p.order_ref, p.amount_kes as p_amount_kes, p.status, p.paid_at
        from statement_known_receipts k join payments p on p.id = k.payment_id join statement_lines l on l.receipt = k.receipt
        where ${this.newLines("in")} and l.id > ${after} order by l.id limit ${CHUNK}`),
      );
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1].id);
      const cases = rows.map((r) => mismatchCase(r));
      this.summary.exceptions += cases.length;
      await this.openCases(cases);
      await this.writeOutcomes(
        rows.map((r) => ({ id: Number(r.id), state: "exception", paymentId: r.payment_id })),
      );
      await this.tick(rows.length);
    }
  }

  // Lines no payment owns but a payment could: the amount agrees and the money came within the window
  // after the request. Usually few (pending, unknown and expired payments, paid ones missing a receipt);
  // each is decided as before, in line order, and a `paid` payment's receipt goes through the gate.
  private async proposeCandidates() {
    const eligiblePayment = sql`p.amount_kes = l.paid_in_kes
      and p.created_at between l.completed_at - interval '24 hours' and l.completed_at + ${`${TIME_TOLERANCE_MS / 1000} seconds`}::interval
      and (p.status in ('pending', 'unknown', 'expired') or (p.status = 'paid' and p.receipt_pending))
      and not exists (select 1 from statement_lines o where o.match_state = 'proposed' and o.proposed_payment_id = p.id)`;
    let after = 0;
    for (;;) {
      const ids = rowsOf<{ id: number | string }>(
        await this.tx
          .execute(sql`select l.id from statement_lines l where ${this.newLines("in")} and l.id > ${after}
          and exists (select 1 from payments p where ${eligiblePayment}) order by l.id limit ${CHUNK}`),
      ).map((r) => Number(r.id));
      if (ids.length === 0) return;
      const lines = await this.tx
        .select(LINE_COLUMNS)
        .from(statementLines)
        .where(inArray(statementLines.id, ids))
        .orderBy(asc(statementLines.id));
      if (lines.length === 0) return;
      after = lines[lines.length - 1].id;
      const pairs = rowsOf<{ line_id: number | string; id: string }>(
        await this.tx.execute(sql`
        select l.id as line_id, p.id from statement_lines l join payments p on ${eligiblePayment}
        where l.id in (${sql.join(
          lines.map((l) => sql`${l.id}`),
          sql`, `,
        )})`),
      );
      const paymentIds = [...new Set(pairs.map((p) => p.id))];
      const byId = new Map(
        paymentIds.length
          ? (await this.tx.select().from(payments).where(inArray(payments.id, paymentIds))).map(
              (p) => [p.id, p],
            )
          : [],
      );
      const candidatesOf = new Map<number, Payment[]>();
      for (const pair of pairs) {
        const lineId = Number(pair.line_id);
        const p = byId.get(pair.id);
        if (p) candidatesOf.set(lineId, [...(candidatesOf.get(lineId) ?? []), p]);
      }
      const known = await this.knownAmong(lines.map((l) => l.receipt));
      const outcomes: (LineOutcome & { id: number })[] = [];
      const cases: StatementCase[] = [];
      const taken = new Set<string>();
      for (const line of lines) {
        const at = line.completedAt as Date;
        const witness = parseOtherPartyInfo(line.otherPartyInfo ?? "").msisdn;
        // The same order as payments came back to the per-line matcher: by id within the amount.
        const candidates = (candidatesOf.get(line.id) ?? [])
          .filter((p) => !taken.has(p.id))
          .sort(byPaymentOrder);
        const evidence = candidates.map((p) =>
          candidateEvidence(
            { amountKes: line.paidInKes, at, ref: line.accountNo },
            p,
            witness.kind === "unknown" ? null : msisdnMatches(p.phone, witness),
          ),
        );
        const { chosen, eligible } = pickCandidate(evidence);
        const payment = chosen ? candidates.find((p) => p.id === chosen.paymentId) : undefined;
        if (payment) {
          taken.add(payment.id);
          if (payment.status === "paid") {
            // Paid by STK Query, receipt to come: the statement brings it (and settles missing cases).
            const applied = await applyReceiptMatch(this.tx, STATEMENT_ACTOR, {
              paymentId: payment.id,
              receipt: line.receipt,
              amountKes: line.paidInKes,
              transactionAt: at,
              source: "statement",
              confirmedByStaff: false,
              evidence: describeLine(line),
              now: this.now,
              statementLineId: line.id,
            });
            if (applied.outcome === "receipt_attached") {
              await resolveMissingFromStatement(this.tx, this.now, [payment.id]);
              this.summary.receiptsAttached += 1;
              this.summary.matched += 1;
              outcomes.push({ id: line.id, state: "matched", paymentId: payment.id });
              continue;
            }
          }
          this.summary.proposed += 1;
          outcomes.push({ id: line.id, state: "proposed", proposedPaymentId: payment.id });
          continue;
        }
        if (known.has(line.receipt)) {
          // A C2B confirmation or orphan callback already put this money in the queue; one case is enough.
          this.summary.unmatched += 1;
          outcomes.push({ id: line.id, state: "unmatched" });
          continue;
        }
        cases.push(statementOnlyCase(line, eligible));
        outcomes.push({ id: line.id, state: "exception" });
      }
      this.summary.exceptions += cases.length;
      await this.openCases(cases);
      await this.writeOutcomes(outcomes);
      await this.tick(lines.length);
    }
  }

  private async knownAmong(receiptList: string[]): Promise<Set<string>> {
    if (receiptList.length === 0) return new Set();
    const list = sql.join(
      receiptList.map((r) => sql`${r}`),
      sql`, `,
    );
    const q = sql`select receipt from statement_known_receipts where receipt in (${list})`;
    return new Set(rowsOf<{ receipt: string }>(await this.tx.execute(q)).map((r) => r.receipt));
  }

  // The rest of the paid-in lines have no owner and no candidate: a receipt we already knew (a C2B
  // confirmation queued it) is `unmatched` in one UPDATE; new money is a statement_only case each,
  // written by the database (the text as statementOnlyCase writes it): one UPDATE, one INSERT.
  private async settleTheRest() {
    const unmatched = rowsOf<{ n: number | string }>(
      await this.tx.execute(sql`
      with u as (update statement_lines l set match_state = 'unmatched'
        from statement_known_receipts k where ${this.newLines("in")} and k.receipt = l.receipt returning 1)
      select count(*) as n from u`),
    );
    const n = Number(unmatched[0]?.n ?? 0);
    this.summary.unmatched += n;
    await this.tick(n);
    const reported = await this.takeNewLines("in", sql`match_state = 'exception'`);
    const t0 = performance.now();
    for (const type of await openStatementOnlyCases(this.tx, TAKEN))
      countException(this.summary, type, 1);
    this.casesMs += performance.now() - t0;
    this.summary.exceptions += reported;
    await this.tick(reported);
  }

  // Withdrawn lines that reverse a receipt: refunded through the gate, all of them in a few statements
  // that look each one up in receipts and payments (the default random_page_cost, 4, read both whole).
  private async reverse() {
    const n = await this.takeNewLines(
      "out",
      sql`match_state = 'reversal',
        payment_id = (select r.payment_id from receipts r where r.receipt = l.linked_transaction_id)`,
    );
    if (n === 0) return;
    await this.tx.execute(sql`set local random_page_cost = 1.1`);
    await applyReversalsOf(this.tx, this.now, TAKEN, this.summary, STATEMENT_ACTOR);
    await this.tick(n);
  }

  /**
   * Writes the verdict (`set`) of every line still new in one direction and keeps what the step needs
   * of them in the temporary table TAKEN: one pass over the import (a scan of 200,000 wide lines costs
   * about as much as the step's own writes), and every later statement reads the small table.
   */
  private async takeNewLines(direction: "in" | "out", set: SQL): Promise<number> {
    await this.tx.execute(sql`create temp table if not exists ${TAKEN} (id bigint primary key,
      receipt text not null, paid_in_kes bigint, withdrawn_kes bigint, completed_at timestamptz, account_no text,
      other_party_info text, reason_type text, linked_transaction_id text) on commit drop`);
    await this.tx.execute(sql`truncate ${TAKEN}`);
    const [row] = rowsOf<{ n: number | string }>(
      await this.tx.execute(sql`
      with u as (update statement_lines l set ${set} where ${this.newLines(direction)}
        returning l.id, l.receipt, l.paid_in_kes, l.withdrawn_kes, l.completed_at, l.account_no,
          l.other_party_info, l.reason_type, l.linked_transaction_id),
      t as (insert into ${TAKEN} select * from u returning 1)
      select count(*) as n from t`),
    );
    await this.tx.execute(sql`analyze ${TAKEN}`);
    return Number(row?.n ?? 0);
  }

  private async openCases(cases: StatementCase[]) {
    const t0 = performance.now();
    for (const type of await openCasesInBulk(this.tx, STATEMENT_ACTOR, cases))
      countException(this.summary, type, 1);
    this.casesMs += performance.now() - t0;
  }

  // One UPDATE per chunk, its rows as one JSON parameter, instead of a thousand single-row updates.
  private async writeOutcomes(outcomes: (LineOutcome & { id: number })[]) {
    if (outcomes.length === 0) return;
    const rows = outcomes.map((o) => ({
      id: o.id,
      state: o.state,
      paymentId: o.paymentId ?? null,
      proposedPaymentId: o.proposedPaymentId ?? null,
    }));
    await this.tx
      .execute(sql`update statement_lines as sl set match_state = v.state, payment_id = v."paymentId", proposed_payment_id = v."proposedPaymentId"
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id bigint, state text, "paymentId" uuid, "proposedPaymentId" uuid) where sl.id = v.id`);
  }
}
