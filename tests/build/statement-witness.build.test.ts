// Finance on the BUILT server imports a statement that shows a payment's receipt: the payment's
// receipt then names the statement among its witnesses (read from the statement's lines, no longer a
// flag the import rewrote on every receipt), and the line is matched. The statement's running balance
// (a raw cell each line keeps) is read back beside M-Pesa's Account Balance.
import { buildStatementCsv } from "../support/statement-file";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import {
  type Agent,
  getPayment,
  newReceipt,
  pendingPayment,
  postStkCallback,
  settled,
  signInAgent,
  successCallbackFor,
} from "./support/flows";

let s: BuiltServer;
beforeAll(async () => {
  s = await startSuiteServer({ label: "statement-witness" });
});
afterAll(async () => s?.stop());

it("a statement showing a paid payment's receipt adds the statement to the receipt's witnesses", async () => {
  const payment = await pendingPayment(s, 175);
  const receipt = newReceipt();
  expect((await postStkCallback(s, successCallbackFor(payment, receipt))).status).toBe(200);
  await settled(s, payment.id, ["paid"]);
  expect((await getPayment(s, payment.id)).receipts).toEqual([
    expect.objectContaining({ receipt, amount: 175, sources: ["callback"] }),
  ]);

  // Finance uploads a statement with that receipt, as the console's form sends it.
  const finance = await signInAgent(s, "finance@demo.test", "demo-finance-pass");
  const csv = buildStatementCsv({ lines: [{ receipt, completedAt: new Date(), amountKes: 175 }] });
  const summary = await importAndWait(finance, csv);
  expect(summary).toMatchObject({ lines: 1, newLines: 1, match: { matched: 1, exceptions: 0 } });
  const after = await getPayment(s, payment.id);
  expect(after.receipts).toEqual([
    expect.objectContaining({ receipt, sources: ["callback", "statement"] }),
  ]);
  expect(after.openExceptions).toEqual([]);
});

it("shows the statement's running balance beside M-Pesa's Account Balance taken in its period", async () => {
  const finance = await signInAgent(s, "finance@demo.test", "demo-finance-pass");
  const now = Date.now();
  const receipt = newReceipt();
  const csv = buildStatementCsv({
    lines: [{ receipt, completedAt: new Date(now - 60_000), amountKes: 310 }],
    from: new Date(now - 3_600_000),
    to: new Date(now + 3_600_000),
    openingBalanceKes: 5_000,
  });
  expect(await importAndWait(finance, csv)).toMatchObject({ lines: 1, newLines: 1 });

  const asked = await finance.act("/reconciliation", RECONCILIATION, { intent: "balance_query" });
  expect(asked.status).toBe(200);
  expect(asked.body).toMatchObject({ ok: true });
  type Balance = {
    snapshot: { takenAt: string } | null;
    statement: { balanceCents: number; receipt: string } | null;
    differenceCents: number | null;
  };
  const balance = await waitFor(
    async () => {
      const data = await finance.load<{ balance: Balance }>("/reconciliation", RECONCILIATION);
      const taken = data.balance.snapshot ? Date.parse(data.balance.snapshot.takenAt) : 0;
      return taken >= now - 60_000 && data.balance.statement ? data.balance : null;
    },
    "the balance snapshot beside the statement",
    30_000,
  );
  // Opening KES 5,000 plus the 310 paid in: the Balance cell of the last line before the snapshot.
  expect(balance.statement).toEqual(expect.objectContaining({ balanceCents: 531_000, receipt }));
  expect(typeof balance.differenceCents).toBe("number");
});

const RECONCILIATION = "routes/_console.reconciliation._index";

/** Uploads a statement as the console's form does and waits for its import to finish; its summary. */
async function importAndWait(finance: Agent, csv: string) {
  const form = new FormData();
  form.set("intent", "upload");
  form.set("csrf", finance.csrf);
  form.set("statement", new Blob([csv], { type: "text/csv" }), "today.csv");
  const upload = await fetch(`${s.baseUrl}/reconciliation`, {
    method: "POST",
    redirect: "manual",
    headers: { Cookie: finance.cookie, Origin: s.baseUrl },
    body: form,
  });
  expect(upload.status, await upload.clone().text()).toBe(302);
  const importPath = upload.headers.get("location") ?? "";
  expect(importPath).toMatch(/^\/reconciliation\/[0-9a-f-]{36}$/);
  // The import runs as a job: wait for it to finish, then read what it found.
  return waitFor(
    async () => {
      const body = await finance.load<{
        imp: { state: string; summary: { match: unknown } | null };
      }>(importPath, "routes/_console.reconciliation.$importId");
      return body.imp.state === "done" ? body.imp.summary : null;
    },
    "the statement import to finish",
    60_000,
  );
}
