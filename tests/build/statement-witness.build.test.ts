// Finance on the BUILT server imports a statement that shows a payment's receipt: the payment's
// receipt then names the statement among its witnesses (read from the statement's lines, no longer a
// flag the import rewrote on every receipt), and the line is matched.
import { buildStatementCsv } from "../support/statement-file";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import {
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
  const form = new FormData();
  form.set("intent", "upload");
  form.set("csrf", finance.csrf);
  const csv = buildStatementCsv({ lines: [{ receipt, completedAt: new Date(), amountKes: 175 }] });
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
  const summary = await waitFor(
    async () => {
      const body = await finance.load<{
        imp: { state: string; summary: { match: unknown } | null };
      }>(importPath, "routes/_console.reconciliation.$importId");
      return body.imp.state === "done" ? body.imp.summary : null;
    },
    "the statement import to finish",
    60_000,
  );
  expect(summary).toMatchObject({ lines: 1, newLines: 1, match: { matched: 1, exceptions: 0 } });
  const after = await getPayment(s, payment.id);
  expect(after.receipts).toEqual([
    expect.objectContaining({ receipt, sources: ["callback", "statement"] }),
  ]);
  expect(after.openExceptions).toEqual([]);
});
