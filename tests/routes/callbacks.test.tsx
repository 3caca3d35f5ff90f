// The raw callback log and one callback's page through their loaders and actions: finance/admin
// only, filters and CSV, a `<script>` payload rendered as text, the health banner, and re-processing
// an orphan once its attempt exists (audited, through the same idempotent intake path).
import { and, eq } from "drizzle-orm";
import { exceptions, rawCallbacks, staffAudit, stkAttempts } from "../../db/schema";
import * as callbackRoute from "../../app/routes/_console.callbacks.$callbackId";
import * as logRoute from "../../app/routes/_console.callbacks._index";
import * as exportRoute from "../../app/routes/_console.callbacks.export[.csv]";
import * as queueRoute from "../../app/routes/_console.exceptions._index";
import type { AppContext } from "../../app/context.server";
import { postStkCallback, startTestApp, waitFor, type TestApp } from "../support/app";
import { FAST_FLOWS, flows } from "../support/exception-flows";
import { PHONES, signedIn } from "../support/factories";
import { renderPage } from "../support/render-route";
import { call, get, jsonOf, postForm } from "../support/routes";

type Session = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let as: Record<"admin" | "finance" | "support" | "manager", Session>;
let f: ReturnType<typeof flows>;

const SCRIPT_JSON = JSON.stringify({
  Body: {
    stkCallback: {
      MerchantRequestID: "1",
      CheckoutRequestID: "ws_CO_evil",
      ResultCode: 1032,
      ResultDesc: "<script>alert('pwned')</script>",
    },
  },
});
const SCRIPT_RAW = "<script>document.title='pwned'</script>";

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  as = {
    admin: await signedIn(app.ctx, "admin"),
    finance: await signedIn(app.ctx, "finance"),
    support: await signedIn(app.ctx, "support"),
    manager: await signedIn(app.ctx, "manager"),
  };
  f = flows(app, as.support.actor);
  await postStkCallback(app, SCRIPT_JSON);
  await postStkCallback(app, SCRIPT_RAW);
});
afterAll(async () => app?.close());

const rawRow = async (match: string) =>
  waitFor(async () =>
    (await app.ctx.db.select().from(rawCallbacks)).find(
      (r) => Buffer.from(r.body).toString("utf8") === match && r.outcome !== "received",
    ),
  );
const log = (query: string, who: Session) =>
  call(logRoute.loader, app.ctx, get(`/callbacks${query}`, who));
const csv = (query: string, who: Session) =>
  call(exportRoute.loader, app.ctx, get(`/callbacks/export.csv${query}`, who));
const one = (id: number, who: Session) =>
  call(callbackRoute.loader, app.ctx, get(`/callbacks/${id}`, who), { callbackId: String(id) });
const reprocess = (id: number, who: Session, csrf = who.csrf) =>
  call(
    callbackRoute.action,
    app.ctx,
    postForm(`/callbacks/${id}`, { intent: "reprocess" }, { cookie: who.cookie, csrf }),
    { callbackId: String(id) },
  );

describe("who may read the log", () => {
  it("finance and admin; support and managers get 403", async () => {
    const row = await rawRow(SCRIPT_RAW);
    for (const role of ["finance", "admin"] as const) {
      expect((await log("", as[role])).status, role).toBe(200);
      expect((await one(row.id, as[role])).status, role).toBe(200);
    }
    for (const role of ["support", "manager"] as const) {
      expect((await log("", as[role])).status, role).toBe(403);
      expect((await one(row.id, as[role])).status, role).toBe(403);
      expect((await reprocess(row.id, as[role])).status, role).toBe(403);
    }
    expect((await one(999_999, as.finance)).status).toBe(404);
  });
});

describe("the list", () => {
  it("is newest first and filters by outcome and by time (EAT)", async () => {
    const all = await jsonOf(await log("", as.finance));
    const times = all.rows.map((r: { receivedAt: string }) => r.receivedAt);
    expect(times).toEqual([...times].sort().reverse());
    const invalid = await jsonOf(await log("?outcome=invalid", as.finance));
    expect(invalid.rows.length).toBeGreaterThan(0);
    expect(invalid.rows.every((r: { outcome: string }) => r.outcome === "invalid")).toBe(true);
    expect((await jsonOf(await log("?from=2999-01-01T00:00", as.finance))).rows).toEqual([]);
    expect((await jsonOf(await log("?to=2000-01-01", as.finance))).rows).toEqual([]);
    const bad = await log("?from=yesterday", as.finance);
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error.message).toMatch(/East Africa Time/);
  });

  it("streams a CSV with the raw bodies for finance and admin", async () => {
    const res = await csv("?outcome=invalid", as.admin);
    expect(res.headers.get("Content-Disposition")).toMatch(/filename="callbacks-[\d-]+\.csv"/);
    expect(res.headers.get("Content-Type")).toMatch(/text\/csv/);
    const text = await res.text();
    expect(text.split("\n")[0]).toBe(
      "callback_id,received_at_eat,kind,outcome,outcome_detail,checkout_request_id,receipt,payment_id,source_ip,source_trusted,token_valid,size_bytes,body",
    );
    expect(text).toContain(SCRIPT_RAW);
    expect((await csv("", as.manager)).status).toBe(403);
    expect((await csv("?from=yesterday", as.finance)).status).toBe(400);
  });
});

describe("a payload containing <script>", () => {
  it.each([
    ["a JSON body", SCRIPT_JSON, "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;"],
    [
      "a non-JSON body",
      SCRIPT_RAW,
      "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;",
    ],
  ])("renders %s as text in the raw viewer", async (_, body, escaped) => {
    const row = await rawRow(body);
    const { status, html } = await renderPage(
      app.ctx,
      get(`/callbacks/${row.id}`, as.finance),
      "callbacks/:callbackId",
      callbackRoute,
    );
    expect(status).toBe(200);
    expect(html).not.toContain("<script>");
    expect(html).toMatch(/<pre class="raw" data-testid="raw-body"[^>]*>/);
    expect(html).toContain(escaped);
    expect(html.includes('data-testid="pretty-body"')).toBe(body === SCRIPT_JSON);
  });
});

describe("re-processing", () => {
  it("applies an orphan once its attempt exists, through the same idempotent path, audited", async () => {
    // A hung push (254708000014): its prompt was paid, but the callback found no attempt with that
    // CheckoutRequestID because the push never answered. The ID reaches the attempt later (here the
    // test writes it, as an operator's fix would); then finance re-processes the stored callback.
    const { payment, orphan, checkoutRequestId } = await f.hung(301);
    const rawId = orphan.rawCallbackId!;
    await app.ctx.db
      .update(stkAttempts)
      .set({ checkoutRequestId })
      .where(eq(stkAttempts.paymentId, payment.id));

    const page = await renderPage(
      app.ctx,
      get(`/callbacks/${rawId}`, as.finance),
      "callbacks/:callbackId",
      callbackRoute,
    );
    expect(page.html).toContain('name="intent" value="reprocess"');
    expect((await reprocess(rawId, as.finance, "")).status).toBe(403);

    const res = await reprocess(rawId, as.finance);
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toMatchObject({
      ok: true,
      data: { outcome: "conflict" },
      message: expect.stringContaining("now conflict"),
    });
    const [row] = await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, rawId));
    expect(row).toMatchObject({ outcome: "conflict", paymentId: payment.id });
    // The payment had been told "unknown": the money arriving now is a late success for finance.
    expect(
      (await app.ctx.db.select().from(exceptions).where(eq(exceptions.id, orphan.id)))[0],
    ).toMatchObject({ status: "resolved", resolution: "auto_rematched" });
    await f.exceptionFor({ paymentId: payment.id }, "late_success");
    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(
        and(eq(staffAudit.entityType, "raw_callback"), eq(staffAudit.entityId, String(rawId))),
      );
    expect(audit).toEqual([
      expect.objectContaining({
        action: "callback.reprocess",
        actorUserId: as.finance.user.id,
        before: { outcome: "orphan" },
        after: { outcome: "conflict" },
      }),
    ]);

    const again = await reprocess(rawId, as.admin);
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).error.message).toMatch(/only invalid or orphan/);
    const after = await renderPage(
      app.ctx,
      get(`/callbacks/${rawId}`, as.finance),
      "callbacks/:callbackId",
      callbackRoute,
    );
    expect(after.html).not.toContain('value="reprocess"');
  });

  it("re-runs an invalid callback and keeps it invalid when nothing has changed", async () => {
    const row = await rawRow(SCRIPT_RAW);
    const res = await reprocess(row.id, as.finance);
    expect(await jsonOf(res)).toMatchObject({
      ok: true,
      message: expect.stringContaining("still invalid"),
    });
  });
});

describe("the health banner", () => {
  it("appears on the log and the queue when payments wait ten minutes with no callback", async () => {
    await f.pay(PHONES.neverResolves, 5);
    const later: AppContext = { ...app.ctx, now: () => new Date(Date.now() + 30 * 60_000) };
    const now = await renderPage(app.ctx, get("/callbacks", as.finance), "callbacks", logRoute);
    expect(now.html).not.toContain("callback-health-banner");
    const logLater = await renderPage(later, get("/callbacks", as.finance), "callbacks", logRoute);
    expect(logLater.html).toContain('data-testid="callback-health-banner"');
    expect(logLater.html).toMatch(/No M-Pesa callbacks.*for 30 minutes/);
    const queueLater = await renderPage(
      later,
      get("/exceptions", as.manager),
      "exceptions",
      queueRoute,
    );
    expect(queueLater.html).toContain('data-testid="callback-health-banner"');
  });
});
