// The exception queue and exception page through their loaders and actions, with real Requests and
// signed-in sessions: who may read, who may act (support and managers never), CSRF, CSV, pages,
// four-eyes across two finance users, and the HTML each role gets.
import { eq } from "drizzle-orm";
import { payments } from "../../db/schema";
import * as apiCase from "../../app/routes/api.exceptions.$exceptionId";
import * as caseRoute from "../../app/routes/_console.exceptions.$exceptionId";
import * as queueRoute from "../../app/routes/_console.exceptions._index";
import * as exportRoute from "../../app/routes/_console.exceptions.export[.csv]";
import { EXCEPTION_ACTIONS } from "../../app/modules/exceptions/actions";
import { startTestApp, type TestApp } from "../support/app";
import { FAST_FLOWS, flows, newReceipt } from "../support/exception-flows";
import { signedIn } from "../support/factories";
import { renderPage } from "../support/render-route";
import { call, get, jsonOf, postForm } from "../support/routes";

type Session = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let as: Record<"admin" | "finance" | "finance2" | "support" | "manager", Session>;
let f: ReturnType<typeof flows>;
let late: Awaited<ReturnType<ReturnType<typeof flows>["lateSuccess"]>>;

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  as = {
    admin: await signedIn(app.ctx, "admin"),
    finance: await signedIn(app.ctx, "finance"),
    finance2: await signedIn(app.ctx, "finance"),
    support: await signedIn(app.ctx, "support"),
    manager: await signedIn(app.ctx, "manager"),
  };
  f = flows(app, as.support.actor);
  late = await f.lateSuccess(150);
});
afterAll(async () => app?.close());

const queue = (query: string, who: Session) =>
  call(queueRoute.loader, app.ctx, get(`/exceptions${query}`, who));
const csv = (query: string, who: Session) =>
  call(exportRoute.loader, app.ctx, get(`/exceptions/export.csv${query}`, who));
const page = (id: string, who: Session) =>
  call(caseRoute.loader, app.ctx, get(`/exceptions/${id}`, who), { exceptionId: id });
const post = (id: string, who: Session, fields: Record<string, string>, csrf = who.csrf) =>
  call(
    caseRoute.action,
    app.ctx,
    postForm(`/exceptions/${id}`, fields, { cookie: who.cookie, csrf }),
    { exceptionId: id },
  );
const paymentStatus = async (id: string) =>
  (await app.ctx.db.select().from(payments).where(eq(payments.id, id)))[0].status;

describe("the queue", () => {
  it("is readable by every role, with counts and money at stake per type", async () => {
    for (const role of ["admin", "finance", "support", "manager"] as const) {
      const res = await queue("", as[role]);
      expect(res.status, role).toBe(200);
      const data = await jsonOf(res);
      expect(data.rows.map((r: { id: string }) => r.id)).toContain(late.exception.id);
      expect(data.counts).toContainEqual({ type: "late_success", count: 1, amountAtStake: 150 });
    }
  });

  it("sends a signed-out visitor to sign in", async () => {
    const res = await queue("", { cookie: "", csrf: "" } as unknown as Session);
    expect(res.status).toBe(302);
  });

  it("filters by type and status from the URL, and says so when a filter is wrong", async () => {
    const resolved = await f.statement("statement_only");
    await post(resolved.id, as.finance, { intent: "write_off", note: "Bank fee, not a sale" });
    const byType = await jsonOf(await queue("?type=late_success", as.manager));
    expect(byType.rows.every((r: { type: string }) => r.type === "late_success")).toBe(true);
    const done = await jsonOf(await queue("?status=resolved", as.manager));
    expect(done.rows.map((r: { id: string }) => r.id)).toEqual([resolved.id]);
    const bad = await queue("?type=nonsense", as.manager);
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error.message).toMatch(/type must be one of/);
  });

  it("pages oldest first with a keyset cursor that loses and repeats nothing", async () => {
    const made = [];
    for (let i = 0; i < 53; i++) made.push((await f.statement("time_mismatch", 1)).id);
    const first = await jsonOf(await queue("?type=time_mismatch", as.support));
    expect(first.rows).toHaveLength(50);
    expect(first.nextCursor).toBeTruthy();
    const second = await jsonOf(
      await queue(`?type=time_mismatch&cursor=${first.nextCursor}`, as.support),
    );
    expect(second.nextCursor).toBeNull();
    expect([...first.rows, ...second.rows].map((r: { id: string }) => r.id)).toEqual(made);
  });

  it("streams a CSV of the same filters to finance and admin only", async () => {
    const res = await csv("?type=late_success", as.finance);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/text\/csv/);
    expect(res.headers.get("Content-Disposition")).toMatch(
      /attachment; filename="exceptions-\d{4}-\d\d-\d\d\.csv"/,
    );
    const [header, ...lines] = (await res.text()).trim().split("\n");
    expect(header).toMatch(/^exception_id,opened_at_eat,type,/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(late.exception.id);
    expect((await csv("", as.admin)).status).toBe(200);
    for (const role of ["support", "manager"] as const)
      expect((await csv("", as[role])).status, role).toBe(403);
  });
});

describe("the exception page", () => {
  it("shows every role the evidence, and only finance and admin the fitting actions", async () => {
    for (const role of ["support", "manager"] as const) {
      const data = await jsonOf(await page(late.exception.id, as[role]));
      expect(data.actions, role).toEqual([]);
      expect(data.payment.phone).toMatch(/•••/);
    }
    const data = await jsonOf(await page(late.exception.id, as.finance));
    expect(data.actions).toEqual(["accept_paid", "mark_refunded", "write_off"]);
    expect(data.callbacks.map((c: { outcome: string }) => c.outcome)).toEqual(
      expect.arrayContaining(["applied", "conflict"]),
    );
    expect(data.payment.phone).toBe("254708000010");
    expect((await page("not-an-id", as.finance)).status).toBe(404);
  });

  it("answers 404, not a server error, to an id of the right length that is not a UUID", async () => {
    for (const id of ["-".repeat(36), "f".repeat(36)]) {
      const response = await call(
        apiCase.loader,
        app.ctx,
        get(`/api/exceptions/${id}`, as.support),
        { exceptionId: id },
      );
      expect(response.status, id).toBe(404);
    }
  });

  it("answers 403 to support and managers for every action, whatever they send", async () => {
    for (const role of ["support", "manager"] as const) {
      for (const intent of EXCEPTION_ACTIONS) {
        const res = await post(late.exception.id, as[role], {
          intent,
          note: "I should not be able to",
          reversalRef: "TCE9RV0001",
          receipt: "TCE9RV0001",
          paymentRef: "x",
          outcome: "paid",
        });
        expect(res.status, `${role} ${intent}`).toBe(403);
      }
    }
    expect(await paymentStatus(late.payment.id)).toBe("expired");
  });

  it("refuses a finance post without the session's CSRF token", async () => {
    const missing = await post(
      late.exception.id,
      as.finance,
      { intent: "accept_paid", note: "Paid, ship it" },
      "",
    );
    expect(missing.status).toBe(403);
    expect((await jsonOf(missing)).error.code).toBe("csrf");
    const foreign = await post(
      late.exception.id,
      as.finance,
      { intent: "accept_paid", note: "Paid, ship it" },
      as.finance2.csrf,
    );
    expect(foreign.status).toBe(403);
  });

  it("lets finance resolve with a note, answers a form error without one, and refuses a second resolution", async () => {
    const noNote = await post(late.exception.id, as.finance, { intent: "accept_paid" });
    expect(noNote.status).toBe(400);
    expect(await jsonOf(noNote)).toEqual({
      ok: false,
      error: expect.objectContaining({ field: "note" }),
    });
    const ok = await post(late.exception.id, as.finance, {
      intent: "accept_paid",
      note: "Customer has the SMS",
    });
    expect(ok.status).toBe(200);
    expect(await jsonOf(ok)).toMatchObject({
      ok: true,
      message: expect.stringMatching(/^Resolved/),
    });
    expect(await paymentStatus(late.payment.id)).toBe("paid");
    const again = await post(late.exception.id, as.admin, {
      intent: "write_off",
      note: "Also closing it",
    });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).error.code).toBe("already_resolved");
    expect((await jsonOf(await page(late.exception.id, as.admin))).actions).toEqual(["reopen"]);
  });

  it("lets an admin act too", async () => {
    const x = await f.statement("unmatched_c2b");
    expect(
      (await post(x.id, as.admin, { intent: "acknowledge", note: "Matched by phone call" })).status,
    ).toBe(200);
  });

  it("takes mark-paid-offline through a second finance user", async () => {
    const { payment, exception } = await f.hung(207);
    const receipt = newReceipt();
    expect(
      (
        await post(exception.id, as.finance, {
          intent: "mark_paid_offline",
          receipt,
          note: "Portal shows it",
        })
      ).status,
    ).toBe(200);
    const pending = await jsonOf(await page(exception.id, as.finance));
    expect(pending.exception.status).toBe("awaiting_approval");
    expect(pending.actions).toEqual(["reject"]);
    expect((await jsonOf(await page(exception.id, as.finance2))).actions).toEqual([
      "approve",
      "reject",
    ]);
    const proposerHtml = (
      await renderPage(
        app.ctx,
        get(`/exceptions/${exception.id}`, as.finance),
        "exceptions/:exceptionId",
        caseRoute,
      )
    ).html;
    expect(proposerHtml).toContain('data-testid="proposal"');
    expect(proposerHtml).toContain("Withdraw proposal");
    expect(proposerHtml).not.toContain('data-action="approve"');
    expect(
      (
        await renderPage(
          app.ctx,
          get(`/exceptions/${exception.id}`, as.finance2),
          "exceptions/:exceptionId",
          caseRoute,
        )
      ).html,
    ).toContain('data-action="approve"');
    const own = await post(exception.id, as.finance, {
      intent: "approve",
      note: "Approving my own",
    });
    expect(own.status).toBe(403);
    expect((await jsonOf(own)).error.code).toBe("four_eyes");
    expect(await paymentStatus(payment.id)).toBe("unknown");
    expect(
      (await post(exception.id, as.finance2, { intent: "approve", note: "Seen in the portal too" }))
        .status,
    ).toBe(200);
    expect(await paymentStatus(payment.id)).toBe("paid");
  });
});

describe("the HTML", () => {
  it("gives a manager the plain words and the evidence but no action forms", async () => {
    const x = await f.lateSuccess(155);
    const { status, html } = await renderPage(
      app.ctx,
      get(`/exceptions/${x.exception.id}`, as.manager),
      "exceptions/:exceptionId",
      caseRoute,
    );
    expect(status).toBe(200);
    expect(html).toContain("most urgent kind");
    expect(html).toContain('data-testid="callback-evidence"');
    expect(html).toContain("&quot;Value&quot;:&quot;0708 ••• •10&quot;"); // masked, and still JSON
    expect(html).not.toContain("254708000010");
    expect(html).not.toContain('name="intent"');
    expect(html).not.toContain("data-action=");
  });

  it("gives finance a form per fitting action, each with the CSRF token and a required note", async () => {
    const x = await f.lateSuccess(156);
    const { html } = await renderPage(
      app.ctx,
      get(`/exceptions/${x.exception.id}`, as.finance),
      "exceptions/:exceptionId",
      caseRoute,
    );
    const forms = [...html.matchAll(/<form[^>]*method="post"[^>]*data-action="([a-z_]+)"/g)].map(
      (m) => m[1],
    );
    expect(forms).toEqual(["accept_paid", "mark_refunded", "write_off"]);
    expect(html.match(new RegExp(`name="csrf" value="${as.finance.csrf}"`, "g"))).toHaveLength(4); // and sign-out
    expect(html.match(/<textarea name="note" required=""/g)).toHaveLength(3);
    expect(html).toContain('name="reversalRef"');
  });

  it("renders the queue with its counts", async () => {
    const { status, html } = await renderPage(
      app.ctx,
      get("/exceptions", as.support),
      "exceptions",
      queueRoute,
    );
    expect(status).toBe(200);
    expect(html).toContain('data-testid="type-counts"');
    expect(html).not.toContain("Export CSV");
  });
});
