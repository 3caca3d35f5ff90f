// Account Balance against the simulator: a snapshot from the `&`/`|` string, and the comparison with
// the statement's running balance at the same moment (a difference opens a case).
import { eq } from "drizzle-orm";
import { darajaRequests, exceptions, statementImports, statementLines } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { freshReceipt, importLines } from "../../../tests/support/reconciliation";
import { getBalanceComparison, statementBalanceAt } from "./balance-compare.server";
import { requestAccountBalance, requestDailyAccountBalance } from "./balance.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

async function balanceNow() {
  const finance = actorFor(await makeUser(app.ctx, "finance"));
  const before = await app.ctx.db
    .select()
    .from(darajaRequests)
    .where(eq(darajaRequests.kind, "balance"));
  const asked = await requestAccountBalance(app.ctx, finance);
  expect(asked.ok).toBe(true);
  await waitFor(
    async () => {
      const rows = await app.ctx.db
        .select()
        .from(darajaRequests)
        .where(eq(darajaRequests.kind, "balance"));
      return rows.length > before.length && rows.every((r) => r.state === "completed");
    },
    8000,
    "balance result",
  );
  await app.ctx.callbackQueue.idle();
}

it("stores a snapshot of the accounts, and says when no statement covers it", async () => {
  await balanceNow();
  const comparison = await getBalanceComparison(app.ctx.db);
  expect(comparison.snapshot?.accounts.map((a) => a.name)).toEqual([
    "Working Account",
    "Float Account",
    "Utility Account",
    "Charges Paid Account",
    "Organization Settlement Account",
  ]);
  expect(comparison.snapshot?.utilityCents).toBe(0);
  expect(comparison).toMatchObject({ statement: null, differenceCents: null });
});

it("compares with the statement's running balance and opens a case when they differ", async () => {
  const finance = actorFor(await makeUser(app.ctx, "finance"));
  const now = app.ctx.now();
  const receipt = freshReceipt();
  await importLines(
    app.ctx,
    finance,
    [
      {
        receipt,
        completedAt: new Date(now.getTime() - 60_000),
        amountKes: 250,
        msisdn: "2547****5678",
      },
    ],
    {
      preamble: true,
      from: new Date(now.getTime() - 3_600_000),
      to: new Date(now.getTime() + 3_600_000),
      openingBalanceKes: 1000,
    },
  );
  await balanceNow();
  const comparison = await getBalanceComparison(app.ctx.db);
  expect(comparison.statement).toMatchObject({ balanceCents: 125_000, receipt });
  expect(comparison.differenceCents).toBe(-125_000);
  const cases = await app.ctx.db
    .select()
    .from(exceptions)
    .where(eq(exceptions.type, "balance_mismatch"));
  expect(cases).toHaveLength(1);
  expect(cases[0]).toMatchObject({ amountAtStakeKes: 1250, receipt });
});

it("reads the running balance from lines stored either way: cells in column order, or keyed by name as before migration 0024", async () => {
  const finance = actorFor(await makeUser(app.ctx, "finance"));
  // A month back, so no other test's statement covers the moment.
  const at = new Date(app.ctx.now().getTime() - 30 * 86_400_000);
  const receipt = freshReceipt();
  await importLines(
    app.ctx,
    finance,
    [
      {
        receipt,
        completedAt: new Date(at.getTime() - 60_000),
        amountKes: 400,
        msisdn: "2547****5678",
      },
    ],
    {
      preamble: true,
      from: new Date(at.getTime() - 3_600_000),
      to: new Date(at.getTime() + 3_600_000),
      openingBalanceKes: 2000,
    },
  );
  const [line] = await app.ctx.db
    .select()
    .from(statementLines)
    .where(eq(statementLines.receipt, receipt));
  const [imp] = await app.ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, line!.importId));
  // Stored once per import: the header's names; each line keeps only its cells, in that order.
  const raw = line!.raw as { row: number; cells: string[] };
  expect(imp!.columns).toContain("Balance");
  expect(raw.cells).toHaveLength(imp!.columns!.length);
  expect(raw.cells[imp!.columns!.indexOf("Receipt No.")]).toBe(receipt);
  expect(await statementBalanceAt(app.ctx.db, at)).toMatchObject({
    balanceCents: 240_000,
    receipt,
  });
  // A header spelled as another export spells it ("BALANCE:") names the same column, as the parser reads it.
  await app.ctx.db
    .update(statementImports)
    .set({ columns: imp!.columns!.map((name) => (name === "Balance" ? "BALANCE:" : name)) })
    .where(eq(statementImports.id, imp!.id));
  expect(await statementBalanceAt(app.ctx.db, at)).toMatchObject({
    balanceCents: 240_000,
    receipt,
  });

  // The same line as an earlier release stored it: cells keyed by name, no columns on the import.
  const keyed = Object.fromEntries(imp!.columns!.map((name, i) => [name, raw.cells[i]]));
  await app.ctx.db
    .update(statementLines)
    .set({ raw: { row: raw.row, cells: keyed } })
    .where(eq(statementLines.id, line!.id));
  await app.ctx.db
    .update(statementImports)
    .set({ columns: null })
    .where(eq(statementImports.id, imp!.id));
  expect(await statementBalanceAt(app.ctx.db, at)).toMatchObject({
    balanceCents: 240_000,
    receipt,
  });
});

it("asks once per day however often the daily job fires", async () => {
  const first = await requestDailyAccountBalance(app.ctx);
  const second = await requestDailyAccountBalance(app.ctx);
  expect(first?.ok).toBe(true);
  expect(second).toBeNull();
});
