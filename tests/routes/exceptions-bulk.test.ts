// Bulk case work through the routes with real Requests and signed-in sessions: hostile query strings
// answered with a sentence (not a 500), the ageing cards, the CSV honouring every filter, support and
// managers refused, and finance previewing then applying an action that moves money (accept as paid)
// through the same per-case commands as a single decision.
import { randomBytes } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { exceptions, payments, type ExceptionType } from "../../db/schema";
import * as bulkRoute from "../../app/routes/_console.exceptions.bulk";
import * as queueRoute from "../../app/routes/_console.exceptions._index";
import * as exportRoute from "../../app/routes/_console.exceptions.export[.csv]";
import * as apiRoute from "../../app/routes/api.exceptions";
import { SYSTEM_ACTOR } from "../../app/modules/auth/staff-audit.server";
import { openException } from "../../app/modules/ledger/cases.server";
import { startTestApp, type TestApp } from "../support/app";
import { FAST_FLOWS, flows } from "../support/exception-flows";
import { signedIn } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";

type Session = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let as: Record<"admin" | "finance" | "support" | "manager", Session>;

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  as = {
    admin: await signedIn(app.ctx, "admin"),
    finance: await signedIn(app.ctx, "finance"),
    support: await signedIn(app.ctx, "support"),
    manager: await signedIn(app.ctx, "manager"),
  };
});
afterAll(async () => app?.close());

const queue = (query: string, who: Session) =>
  call(queueRoute.loader, app.ctx, get(`/exceptions${query}`, who));
const csv = (query: string, who: Session) =>
  call(exportRoute.loader, app.ctx, get(`/exceptions/export.csv${query}`, who));
const preview = (query: string, who: Session) =>
  call(bulkRoute.loader, app.ctx, get(`/exceptions/bulk${query}`, who));
const apply = (who: Session, fields: Record<string, string>) =>
  call(
    bulkRoute.action,
    app.ctx,
    postForm("/exceptions/bulk", fields, { cookie: who.cookie, csrf: who.csrf }),
  );

async function openCase(type: ExceptionType, amount: number, ageDays = 0): Promise<string> {
  const tag = randomBytes(4).toString("hex");
  const id = (await openException(app.ctx.db, SYSTEM_ACTOR, {
    type,
    dedupeKey: `bulk-route:${tag}`,
    summary: `${type} ${tag} from 0712345678`,
    amountAtStakeKes: amount,
  }))!;
  if (ageDays)
    await app.ctx.db
      .update(exceptions)
      .set({ openedAt: new Date(Date.now() - ageDays * 86_400_000) })
      .where(eq(exceptions.id, id));
  return id;
}

describe("hostile query strings", () => {
  it.each([
    "?age=forever",
    "?minKes=-1",
    "?minKes=10&maxKes=5",
    "?day=2025-13-01",
    "?status=');drop table exceptions;--",
    "?type=late_success%00",
  ])("the queue answers %s with a 400 and a sentence, keeping the page", async (query) => {
    const res = await queue(query, as.support);
    expect(res.status).toBe(400);
    const data = await jsonOf(res);
    expect(data.error.message).toMatch(/must be|whole shillings|larger|calendar date/);
    expect(data.rows).toEqual([]);
  });

  it("the bulk preview and the CSV answer a bad filter with a 400 too", async () => {
    const res = await preview("?age=2w", as.finance);
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toMatch(/age must be one of/);
    const file = await csv("?maxKes=lots", as.finance);
    expect(file.status).toBe(400);
    expect((await jsonOf(file)).error).toMatchObject({ field: "maxKes" });
  });
});

describe("the queue's ageing cards and the CSV", () => {
  it("shows cases and money per age bucket, and exports exactly the filtered cases", async () => {
    const young = await openCase("unmatched_c2b", 8100);
    const week = await openCase("unmatched_c2b", 8200, 3);
    const old = await openCase("unmatched_c2b", 8300, 40);
    await openCase("statement_only", 8400, 3);
    const data = await jsonOf(
      await queue("?type=unmatched_c2b&minKes=8000&maxKes=8999", as.manager),
    );
    expect(data.ageing).toEqual([
      { bucket: "under-1d", count: 1, amountAtStake: 8100 },
      { bucket: "1-7d", count: 1, amountAtStake: 8200 },
      { bucket: "7-30d", count: 0, amountAtStake: 0 },
      { bucket: "over-30d", count: 1, amountAtStake: 8300 },
    ]);
    // The manager's page masks the phone in the summaries.
    expect(data.rows.map((r: { summary: string }) => r.summary).join(" ")).not.toContain(
      "0712345678",
    );

    const lines = async (query: string) =>
      (await (await csv(query, as.finance)).text()).trim().split("\n").slice(1).join("\n");
    const filtered = await lines("?type=unmatched_c2b&minKes=8000&maxKes=8999&age=1-7d");
    expect(filtered.split("\n")).toHaveLength(1);
    expect(filtered).toContain(week);
    const range = await lines("?type=unmatched_c2b&minKes=8050&maxKes=8250");
    expect(range).toContain(young);
    expect(range).toContain(week);
    expect(range).not.toContain(old);
    expect(range).toContain("0712345678"); // finance may see phone numbers, as on the page
  });
});

describe("the JSON API", () => {
  it("takes the same filters, and answers a bad one with a 400 naming the field", async () => {
    const old = await openCase("time_mismatch", 8600, 45);
    await openCase("time_mismatch", 8600, 2);
    const api = (query: string) =>
      call(apiRoute.loader, app.ctx, get(`/api/exceptions${query}`, as.support));
    const data = await jsonOf(await api("?type=time_mismatch&age=over-30d&minKes=8600"));
    expect(data.exceptions.map((x: { id: string }) => x.id)).toEqual([old]);
    const bad = await api("?age=ancient");
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error).toMatchObject({ code: "invalid_request", field: "age" });
  });
});

describe("bulk preview and apply through the routes", () => {
  it("refuses support and managers, whatever they send", async () => {
    const id = await openCase("statement_only", 9100);
    const ok = await jsonOf(await preview(`?scope=checked&id=${id}`, as.finance));
    for (const role of ["support", "manager"] as const) {
      expect((await preview(`?scope=checked&id=${id}`, as[role])).status, role).toBe(403);
      const res = await apply(as[role], {
        action: "write_off",
        note: "trying anyway",
        cases: id,
        fingerprint: ok.preview.fingerprint,
      });
      expect(res.status, role).toBe(403);
    }
    expect(
      (await app.ctx.db.select().from(exceptions).where(eq(exceptions.id, id)))[0].status,
    ).toBe("open");
  });

  it("previews the filtered cases with their total, applies accept-as-paid, and the payments are paid", async () => {
    const f = flows(app, as.support.actor);
    const a = await f.lateSuccess(170);
    const b = await f.lateSuccess(190);
    const res = await preview("?scope=filtered&type=late_success&minKes=100&maxKes=200", as.admin);
    expect(res.status).toBe(200);
    const { preview: p } = await jsonOf(res);
    expect(p.cases.map((x: { id: string }) => x.id).sort()).toEqual(
      [a.exception.id, b.exception.id].sort(),
    );
    expect(p.totalKes).toBe(360);
    expect(p.actions).toEqual(["write_off", "accept_paid"]);

    const done = await apply(as.finance, {
      action: "accept_paid",
      note: "Both customers paid late; the orders go out",
      cases: p.cases.map((x: { id: string }) => x.id).join(","),
      fingerprint: p.fingerprint,
    });
    expect(done.status).toBe(200);
    expect(await jsonOf(done)).toMatchObject({ ok: true, data: { count: 2, totalKes: 360 } });
    const paid = await app.ctx.db
      .select({ status: payments.status })
      .from(payments)
      .where(inArray(payments.id, [a.payment.id, b.payment.id]));
    expect(paid.map((x) => x.status)).toEqual(["paid", "paid"]);
    const resolved = await jsonOf(await queue("?status=resolved&type=late_success", as.finance));
    expect(resolved.rows.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([a.exception.id, b.exception.id]),
    );

    // The same form again: the preview is stale now, and the answer says so.
    const again = await apply(as.finance, {
      action: "accept_paid",
      note: "again",
      cases: p.cases.map((x: { id: string }) => x.id).join(","),
      fingerprint: p.fingerprint,
    });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).error.message).toMatch(/changed since the preview/);
  });

  it("answers a form without a note or with a forged fingerprint with a form error", async () => {
    const id = await openCase("statement_only", 9200);
    const res = await apply(as.finance, {
      action: "write_off",
      note: "",
      cases: id,
      fingerprint: "0".repeat(64),
    });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.message).toMatch(/note/);
    const forged = await apply(as.finance, {
      action: "write_off",
      note: "a forged preview",
      cases: id,
      fingerprint: "0".repeat(64),
    });
    expect(forged.status).toBe(409);
  });
});
