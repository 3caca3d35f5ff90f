// Finance on the BUILT server uploads statements the import must not book as they are: a receipt that is
// not M-Pesa's (a lower-case copy would be a second line, receipt and case for the same money) and two
// exports pasted together with their columns in another order (Paid In would be read as Withdrawn).
// The import page says which row and why, and nothing is booked. A statement that repeats a receipt
// with another amount books the first line and puts the other in the exception queue.
import { addDays, eatDay, startOfEatDay } from "../../app/lib/time";
import { buildStatementCsv } from "../support/statement-file";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import { newReceipt, signInAgent, type Agent } from "./support/flows";

let s: BuiltServer;
let finance: Agent;
beforeAll(async () => {
  s = await startSuiteServer({ label: "statement-refusals" });
  finance = await signInAgent(s, "finance@demo.test", "demo-finance-pass");
});
afterAll(async () => s?.stop());

const IMPORT_PAGE = "routes/_console.reconciliation.$importId";

/** Uploads as the console's form does; the refusal the import page (or the upload) shows. */
async function upload(csv: string, fileName: string): Promise<Response> {
  const form = new FormData();
  form.set("intent", "upload");
  form.set("csrf", finance.csrf);
  form.set("statement", new Blob([csv], { type: "text/csv" }), fileName);
  return fetch(`${s.baseUrl}/reconciliation`, {
    method: "POST",
    redirect: "manual",
    headers: { Cookie: finance.cookie, Origin: s.baseUrl },
    body: form,
  });
}

type ImportView = { state: string; error: string | null; summary: { conflicts?: number } | null };

/** The import once it has ended (done or failed), as its page's loader gives it. */
async function ended(importPath: string): Promise<ImportView> {
  return waitFor(
    async () => {
      const body = await finance.load<{ imp: ImportView }>(importPath, IMPORT_PAGE);
      return body.imp.state === "failed" || body.imp.state === "done" ? body.imp : null;
    },
    "the statement import to end",
    60_000,
  );
}

/** The refusal the import page (or the upload itself) shows. */
async function refusalOf(csv: string, fileName: string): Promise<string> {
  const sent = await upload(csv, fileName);
  if (sent.status !== 302) {
    const body = (await sent.json()) as { error?: { message: string } };
    expect(sent.status, JSON.stringify(body)).toBe(422);
    return body.error!.message;
  }
  const imp = await ended(sent.headers.get("location") ?? "");
  expect(imp.state, JSON.stringify(imp)).toBe("failed");
  return imp.error ?? "";
}

it("a lower-case receipt is refused with its row number", async () => {
  const good = newReceipt();
  const csv = buildStatementCsv({
    lines: [
      { receipt: good, completedAt: new Date(), amountKes: 120 },
      { receipt: good.toLowerCase(), completedAt: new Date(), amountKes: 120 },
    ],
  });
  expect(await refusalOf(csv, "lower-case.csv")).toMatch(
    /^Row 9: 'Receipt No\.' is not an M-Pesa receipt \(10 capital letters and digits\)/,
  );
});

it("a second header with Withdrawn and Paid In swapped is refused, not read as money out", async () => {
  const first = buildStatementCsv({
    lines: [{ receipt: newReceipt(), completedAt: new Date(), amountKes: 130 }],
  });
  const pasted = [
    "Receipt No.,Completion Time,Transaction Status,Withdrawn,Paid In",
    `${newReceipt()},01-12-2026 10:15:39,Completed,,1250.00`,
  ].join("\r\n");
  expect(await refusalOf(`${first}${pasted}\r\n`, "pasted.csv")).toMatch(
    /is a header with other columns than row 7 .*import each export as its own file/,
  );
});

it("a receipt repeated with another amount: the first line is booked, the other is a statement_conflict case", async () => {
  const receipt = newReceipt();
  const csv = buildStatementCsv({
    lines: [
      { receipt, completedAt: new Date(Date.now() - 60_000), amountKes: 140 },
      { receipt, completedAt: new Date(Date.now() - 60_000), amountKes: 14_000 },
    ],
  });
  const sent = await upload(csv, "edited.csv");
  expect(sent.status, await sent.clone().text()).toBe(302);
  const imp = await ended(sent.headers.get("location") ?? "");
  expect(imp).toMatchObject({ state: "done", summary: { conflicts: 1 } });
  const cases = await s.api<{
    exceptions: { receipt: string | null; amountAtStake: number; summary: string }[];
  }>("/api/exceptions?type=statement_conflict&status=open");
  expect(cases.status).toBe(200);
  const mine = cases.body.exceptions.filter((x) => x.receipt === receipt);
  expect(mine).toEqual([
    expect.objectContaining({
      amountAtStake: 14_000,
      summary: expect.stringMatching(/as KES 14,000 in.*already booked for it says KES 140 in/),
    }),
  ]);
});

it("today cannot be signed off; a past day of an imported statement can, with a note for its open line", async () => {
  const INDEX = "routes/_console.reconciliation._index";
  const signOff = (fields: Record<string, string>) =>
    finance.act("/reconciliation", INDEX, { intent: "signoff", ...fields });
  const today = eatDay(new Date());
  const early = await signOff({ day: today, note: "leaving early" });
  expect(early.status).toBe(400);
  expect(early.body.error.message).toBe(
    "Today has not ended yet (East Africa Time); sign it off tomorrow.",
  );

  // A line nobody asked for, on a day three days ago: imported, it is an open item.
  const day = addDays(today, -3);
  const csv = buildStatementCsv({
    lines: [
      {
        receipt: newReceipt(),
        completedAt: new Date(startOfEatDay(day).getTime() + 9 * 3_600_000),
        amountKes: 140,
      },
    ],
  });
  const sent = await upload(csv, "past-day.csv");
  expect(sent.status).toBe(302);
  expect((await ended(sent.headers.get("location") ?? "")).state).toBe("done");
  const needsNote = await signOff({ day });
  expect(needsNote.status).toBe(422);
  expect(needsNote.body.error).toMatchObject({ code: "note_required", field: "note" });
  const signed = await signOff({ day, note: "Receipt not ours; asked Safaricom" });
  expect(signed.status).toBe(200);
  expect(signed.body.message).toMatch(/^Signed off .*: \d+ lines, \d+ matched, \d+ open\.$/);
});
