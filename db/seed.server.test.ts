// The demo data a newcomer meets on first start: every payment state and case type the console
// explains, resolved and open cases, a statement import and signed-off days — and only once.
import { count, isNotNull } from "drizzle-orm";
import { startTestApp, type TestApp } from "../tests/support/app";
import { seedDemoData } from "./seed";
import { exceptions, payments, receipts, reconciliationDays, statementImports } from "./schema";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("fills three weeks with payments in every state, open and resolved cases, a statement and sign-offs", async () => {
  const first = await seedDemoData(app.ctx);
  expect(first.created).toBe(true);
  expect(first.payments).toBeGreaterThan(60);

  const byStatus = await app.ctx.db
    .select({ status: payments.status, n: count() })
    .from(payments)
    .groupBy(payments.status);
  const statuses = Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)]));
  for (const s of ["paid", "cancelled", "failed", "expired", "unknown"])
    expect(statuses[s] ?? 0, s).toBeGreaterThan(0);

  const cases = await app.ctx.db.select().from(exceptions);
  const types = new Set(cases.map((c) => c.type));
  for (const t of ["late_success", "amount_mismatch", "orphan_callback"])
    expect(types.has(t as never), t).toBe(true);
  expect(cases.some((c) => c.status === "open")).toBe(true);
  expect(cases.some((c) => c.status === "resolved")).toBe(true);

  const [imp] = await app.ctx.db.select().from(statementImports);
  expect(imp.lineCount).toBeGreaterThan(30);
  const signed = await app.ctx.db.select().from(reconciliationDays);
  expect(signed.length).toBeGreaterThan(0);

  // The example tariff priced the demo's paid receipts, so the dashboard has charges to net out.
  const [priced] = await app.ctx.db
    .select({ n: count() })
    .from(receipts)
    .where(isNotNull(receipts.chargeKes));
  expect(Number(priced.n)).toBeGreaterThan(0);

  // A second start finds the users and adds nothing.
  const again = await seedDemoData(app.ctx);
  expect(again.created).toBe(false);
  const [{ n }] = await app.ctx.db.select({ n: count() }).from(payments);
  expect(Number(n)).toBe(first.payments);
});

it("plays Safaricom's callbacks whatever allow-list the app runs with (a test's 127.0.0.1)", async () => {
  const guarded = await startTestApp({ env: { MPESA_CALLBACK_ALLOWED_IPS: "127.0.0.1" } });
  try {
    expect((await seedDemoData(guarded.ctx)).created).toBe(true);
    const cases = await guarded.ctx.db.select().from(exceptions);
    const types = new Set(cases.map((c) => c.type));
    for (const t of ["late_success", "amount_mismatch"])
      expect(types.has(t as never), t).toBe(true);
    const [{ n }] = await guarded.ctx.db
      .select({ n: count() })
      .from(payments)
      .where(isNotNull(payments.receipt));
    expect(Number(n)).toBeGreaterThan(30);
  } finally {
    await guarded.close();
  }
});
