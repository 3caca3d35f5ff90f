// The reconciliation pages through their loaders and actions with real Requests: finance and admin
// upload (multipart), confirm proposals and sign days off; support and managers get 403 and change
// nothing; CSRF; a malformed upload; line filters and keyset pages; the HTML finance sees.
import { count, eq } from "drizzle-orm";
import { reconciliationDays, staffAudit, statementImports } from "../../db/schema";
import { dayLabel } from "../../app/components/reconciliation/day-status";
import { CLIENT_IP_HEADER } from "../../app/lib/http.server";
import { eatDay } from "../../app/lib/time";
import { getPaymentView } from "../../app/modules/payments/queries.server";
import { runStatementImport } from "../../app/modules/reconciliation/import-job.server";
import { kickStatementImports } from "../../app/modules/reconciliation/import.server";
import * as importRoute from "../../app/routes/_console.reconciliation.$importId";
import * as indexRoute from "../../app/routes/_console.reconciliation._index";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { freshReceipt, pendingPayment, statementMask } from "../support/reconciliation";
import { renderPage } from "../support/render-route";
import { call, get, jsonOf, postForm } from "../support/routes";
import {
  buildStatementCsv,
  fixtureReceipt,
  type StatementFixtureLine,
} from "../support/statement-file";

type Session = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let as: Record<"admin" | "finance" | "support" | "manager", Session>;

beforeAll(async () => {
  app = await startTestApp();
  as = {
    admin: await signedIn(app.ctx, "admin"),
    finance: await signedIn(app.ctx, "finance"),
    support: await signedIn(app.ctx, "support"),
    manager: await signedIn(app.ctx, "manager"),
  };
});
afterAll(async () => app?.close());

let serial = 0;
const pastLine = (
  day: string,
  overrides: Partial<StatementFixtureLine> = {},
): StatementFixtureLine => {
  const completedAt = new Date(`${day}T09:00:${String(++serial % 60).padStart(2, "0")}+03:00`);
  return {
    receipt: fixtureReceipt(completedAt, 700_000 + serial),
    completedAt,
    amountKes: 100 + serial,
    msisdn: "2547****9999",
    accountNo: `OLD-${serial}`,
    ...overrides,
  };
};

function upload(
  csv: string,
  who: Session,
  fields: { csrf?: string; fileName?: string } = {},
): Request {
  const form = new FormData();
  form.set("csrf", fields.csrf ?? who.csrf);
  form.set("intent", "upload");
  form.set("statement", new File([csv], fields.fileName ?? "statement.csv", { type: "text/csv" }));
  return new Request("http://console.test/reconciliation?index", {
    method: "POST",
    headers: { [CLIENT_IP_HEADER]: "127.0.0.1", Cookie: who.cookie },
    body: form,
  });
}
const post = (request: Request) => call(indexRoute.action, app.ctx, request);
const signOff = (who: Session, fields: Record<string, string>, csrf = who.csrf) =>
  post(
    postForm(
      "/reconciliation?index",
      { intent: "signoff", ...fields },
      { cookie: who.cookie, csrf },
    ),
  );
const importPage = (id: string, who: Session, query = "") =>
  call(importRoute.loader, app.ctx, get(`/reconciliation/${id}${query}`, who), { importId: id });
// The upload answers with the import's page at once; the import runs as a job, awaited here.
async function uploadAndImport(request: Request): Promise<string> {
  const response = await post(request);
  expect(response.status).toBe(302);
  const importId = (response.headers.get("location") ?? "").split("/").pop() ?? "";
  await kickStatementImports(app.ctx);
  return importId;
}
const imports = async () => (await app.ctx.db.select({ n: count() }).from(statementImports))[0].n;

describe("uploading a statement", () => {
  it("finance imports a file and is told what happened; a second upload of it changes nothing and says who did it", async () => {
    const csv = buildStatementCsv({
      lines: [pastLine("2025-03-12"), pastLine("2025-03-12", { status: "Failed" })],
      from: new Date("2025-03-11T21:00:00Z"),
      to: new Date("2025-03-12T20:59:59Z"),
    });
    const importId = await uploadAndImport(upload(csv, as.finance, { fileName: "12-mar.csv" }));
    const page = await jsonOf(await importPage(importId, as.finance));
    expect(page.imp).toMatchObject({
      state: "done",
      fileName: "12-mar.csv",
      lineCount: 2,
      summary: { failed: 1, newLines: 2 },
    });

    const again = await jsonOf(await post(upload(csv, as.admin, { fileName: "copy.csv" })));
    expect(again).toMatchObject({
      ok: true,
      data: { status: "already_imported", importId },
    });
    expect(again.message).toContain(
      `by ${as.finance.user.name} (as "12-mar.csv"); nothing was changed.`,
    );
  });

  it.each(["support", "manager"] as const)(
    "%s gets 403 for the pages and the upload, and nothing is stored",
    async (role) => {
      const before = await imports();
      expect(
        (await call(indexRoute.loader, app.ctx, get("/reconciliation", as[role]))).status,
      ).toBe(403);
      expect(
        (await post(upload(buildStatementCsv({ lines: [pastLine("2025-03-12")] }), as[role])))
          .status,
      ).toBe(403);
      expect((await signOff(as[role], { day: "2025-03-12", note: "x" })).status).toBe(403);
      const [imp] = await app.ctx.db.select().from(statementImports).limit(1);
      expect((await importPage(imp.id, as[role])).status).toBe(403);
      expect(await imports()).toBe(before);
    },
  );

  it("refuses an upload without the session's CSRF token", async () => {
    const before = await imports();
    const response = await post(
      upload(buildStatementCsv({ lines: [pastLine("2025-03-12")] }), as.finance, {
        csrf: "forged",
      }),
    );
    expect(response.status).toBe(403);
    expect(await imports()).toBe(before);
  });

  it("answers a file that is not a statement with what was expected, and writes nothing", async () => {
    const before = await imports();
    const response = await post(
      upload("Date,Amount\n2025-03-12,100\n", as.finance, { fileName: "bank.csv" }),
    );
    expect(response.status).toBe(422);
    expect((await jsonOf(response)).error).toMatchObject({
      code: "statement_format",
      message: expect.stringMatching(
        /Expected a header row starting with 'Receipt No\.'; the first row was 'Date,Amount'/,
      ),
    });
    expect(await imports()).toBe(before);
  });

  it("asks for a file when none was chosen", async () => {
    const response = await post(upload("", as.finance));
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({ field: "statement" });
  });
});

describe("an import's page", () => {
  it("shows counts, filters lines by state with keyset pages, and lets finance confirm a proposal", async () => {
    const payment = await pendingPayment(app, as.finance.actor, { amount: 4_450 });
    const receipt = freshReceipt();
    const failed = Array.from({ length: 55 }, () => pastLine("2025-03-13", { status: "Failed" }));
    const proposal: StatementFixtureLine = {
      receipt,
      completedAt: new Date(),
      amountKes: 4_450,
      msisdn: statementMask(payment.phone),
      accountNo: payment.accountReference,
    };
    const data = {
      importId: await uploadAndImport(
        upload(buildStatementCsv({ lines: [...failed, proposal], preamble: false }), as.finance),
      ),
    };

    const first = await jsonOf(await importPage(data.importId, as.finance));
    expect(first.imp.counts).toMatchObject({ skipped: 55, proposed: 1 });
    expect(first.lines).toHaveLength(50);
    const second = await jsonOf(
      await importPage(data.importId, as.finance, `?cursor=${first.nextCursor}`),
    );
    expect(second.lines.map((l: { receipt: string }) => l.receipt)).toEqual([
      ...failed.slice(50).map((l) => l.receipt),
      receipt,
    ]);
    expect(second.nextCursor).toBeNull();

    const proposed = await jsonOf(await importPage(data.importId, as.finance, "?state=proposed"));
    expect(proposed.lines).toEqual([
      expect.objectContaining({
        receipt,
        proposal: expect.objectContaining({
          paymentId: payment.id,
          evidence: expect.objectContaining({ amount: true, accountRef: true, phone: true }),
        }),
      }),
    ]);
    const bad = await importPage(data.importId, as.finance, "?state=bogus");
    expect((await jsonOf(bad)).error.message).toMatch(/state must be one of/);

    const { html } = await renderPage(
      app.ctx,
      get(`/reconciliation/${data.importId}?state=proposed`, as.finance),
      "reconciliation/:importId",
      importRoute,
    );
    expect(html).toContain(`Confirm: mark ${payment.orderRef} paid`);
    expect(html).toContain(`name="csrf" value="${as.finance.csrf}"`);

    const lineId = String(proposed.lines[0].id);
    const confirm = (who: Session) =>
      call(
        importRoute.action,
        app.ctx,
        postForm(
          `/reconciliation/${data.importId}`,
          { intent: "confirm", lineId },
          { cookie: who.cookie, csrf: who.csrf },
        ),
        { importId: data.importId },
      );
    expect((await confirm(as.support)).status).toBe(403);
    expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("pending");
    const done = await confirm(as.finance);
    expect(await jsonOf(done)).toMatchObject({
      ok: true,
      message: `Order ${payment.orderRef} is now paid with receipt ${receipt}.`,
    });
    expect((await getPaymentView(app.ctx.db, payment.id))!).toMatchObject({
      status: "paid",
      receipt,
    });
    expect((await confirm(as.finance)).status).toBe(409);

    // Today's line is now matched, and the index's daily status says so.
    const index = await renderPage(
      app.ctx,
      get("/reconciliation", as.finance),
      "reconciliation",
      indexRoute,
    );
    expect(index.html.replace(/<!-- -->/g, "")).toContain(
      `<td>${dayLabel(eatDay(new Date()))}</td><td>1 lines, 1 matched, 0 open`,
    );
  });

  it("is a 404 for an import that does not exist", async () => {
    expect((await importPage("00000000-0000-4000-8000-000000000000", as.finance)).status).toBe(404);
  });
});

describe("daily sign-off", () => {
  it("finance signs off a clean day; it is recorded with its figures and in the staff audit", async () => {
    const uploaded = {
      data: {
        importId: await uploadAndImport(
          upload(
            buildStatementCsv({
              lines: [
                pastLine("2025-03-10", { status: "Failed" }),
                pastLine("2025-03-10", { status: "Failed" }),
              ],
              preamble: false,
            }),
            as.finance,
          ),
        ),
      },
    };
    const response = await signOff(as.finance, { day: "2025-03-10", note: "" });
    expect(await jsonOf(response)).toMatchObject({
      ok: true,
      message: "Signed off 10 Mar 2025: 2 lines, 0 matched, 0 open.",
    });
    const [day] = await app.ctx.db
      .select()
      .from(reconciliationDays)
      .where(eq(reconciliationDays.day, "2025-03-10"));
    expect(day).toMatchObject({
      signedOffByUserId: as.finance.user.id,
      note: null,
      figures: expect.objectContaining({ lines: 2, open: 0, skipped: 2 }),
    });
    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(eq(staffAudit.entityId, "2025-03-10"));
    expect(audit).toEqual([
      expect.objectContaining({
        action: "reconciliation.signoff",
        entityType: "reconciliation_day",
        actorUserId: as.finance.user.id,
      }),
    ]);

    // The index shows the last fortnight of statement days; an older day is on its import's page.
    const page = await renderPage(
      app.ctx,
      get(`/reconciliation/${uploaded.data.importId}`, as.finance),
      "reconciliation/:importId",
      importRoute,
    );
    const html = page.html.replace(/<!-- -->/g, ""); // React's markers between adjacent text nodes
    expect(html).toContain("2 lines, 0 matched, 0 open");
    expect(html).toContain(`Signed off by ${as.finance.user.name}`);
  });

  it("a day with open items needs a note saying why", async () => {
    await uploadAndImport(
      upload(buildStatementCsv({ lines: [pastLine("2025-03-09")], preamble: false }), as.finance),
    );
    const refused = await signOff(as.admin, { day: "2025-03-09" });
    expect(refused.status).toBe(422);
    expect((await jsonOf(refused)).error).toMatchObject({
      code: "note_required",
      field: "note",
      message: expect.stringMatching(/^9 Mar 2025: 1 lines, 0 matched, 1 open/),
    });
    expect(
      await app.ctx.db
        .select()
        .from(reconciliationDays)
        .where(eq(reconciliationDays.day, "2025-03-09")),
    ).toEqual([]);
    const signed = await signOff(as.admin, {
      day: "2025-03-09",
      note: "Statement-only receipt under investigation with Safaricom",
    });
    expect((await jsonOf(signed)).ok).toBe(true);
  });

  it("a day whose lines are not matched yet cannot be signed off, even with a note", async () => {
    const response = await post(
      upload(
        buildStatementCsv({
          lines: [pastLine("2025-03-08"), pastLine("2025-03-08")],
          preamble: false,
        }),
        as.finance,
      ),
    );
    const importId = (response.headers.get("location") ?? "").split("/").pop() ?? "";
    // The lines are stored, then matching is cut off (it is retried by the next run).
    await expect(
      runStatementImport(app.ctx, importId, {
        keepFailed: true,
        matcher: async () => {
          throw new Error("connection lost mid-match");
        },
      }),
    ).rejects.toThrow("connection lost mid-match");
    const refused = await signOff(as.finance, { day: "2025-03-08", note: "All fine" });
    expect(refused.status).toBe(409);
    expect((await jsonOf(refused)).error).toMatchObject({
      code: "import_in_progress",
      message: expect.stringContaining("2 of this day's statement lines are not matched yet"),
    });
    expect(
      await app.ctx.db
        .select()
        .from(reconciliationDays)
        .where(eq(reconciliationDays.day, "2025-03-08")),
    ).toEqual([]);

    // Once the retry has matched them, the two unexplained lines are open items, named as such.
    await kickStatementImports(app.ctx);
    const needsNote = await signOff(as.finance, { day: "2025-03-08" });
    expect(needsNote.status).toBe(422);
    expect((await jsonOf(needsNote)).error.message).toMatch(/2 lines, 0 matched, 2 open/);
  });

  it("a day no statement covers cannot be signed off, nor can a CSRF-less form, nor today", async () => {
    expect((await signOff(as.finance, { day: "2024-01-01" })).status).toBe(409);
    const today = await signOff(as.finance, { day: eatDay(new Date()), note: "early" });
    expect(today.status).toBe(400);
    expect((await jsonOf(today)).error.message).toBe(
      "Today has not ended yet (East Africa Time); sign it off tomorrow.",
    );
    expect((await signOff(as.finance, { day: "2025-03-10" }, "")).status).toBe(403);
  });
});
