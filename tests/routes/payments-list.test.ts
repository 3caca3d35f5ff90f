// The payments list, its CSV export and global search, through their loaders with real Requests:
// what each role sees (masked phones), the default 30-day window, filters, counts, paging, streaming.
import { exportPaymentsCsv } from "../../app/modules/payments/export.server";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { getPaymentView, type PaymentView } from "../../app/modules/payments/queries.server";
import * as list from "../../app/routes/_console.payments._index";
import * as csvExport from "../../app/routes/_console.payments.export[.csv]";
import * as search from "../../app/routes/_console.search";
import type { Role } from "../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../support/app";
import { actorFor, makeUser, orderRef, PHONES, signedIn } from "../support/factories";
import { call, get, jsonOf } from "../support/routes";

let app: TestApp;
let offset = 0; // moves the app's clock (ctx.now) back in time for "old" payments
const DAY = 86_400_000;
const as: Partial<Record<Role, { cookie: string }>> = {};
let actor: ReturnType<typeof actorFor>;
let old: PaymentView;
let paid: PaymentView;
let cancelled: PaymentView;
const phone = "254711000111"; // waits for the virtual handset; only this file's payments use it

const settled = (id: string, status: string) =>
  waitFor(
    async () => {
      const p = await getPaymentView(app.ctx.db, id);
      return p?.status === status ? p : null;
    },
    10_000,
    `payment ${id} to become ${status}`,
  );
const pay = (p: string, amount: number, ref = orderRef("LIST")) =>
  initiatePayment(app.ctx, { orderRef: ref, amount, phone: p }, actor);
const load = async (path: string, role: Role = "finance") =>
  call(list.loader, app.ctx, get(path, as[role]));
const data = async (path: string, role: Role = "finance") => jsonOf(await load(path, role));
const eatDayOf = (ms: number) => new Date(ms + 3 * 3_600_000).toISOString().slice(0, 10);

beforeAll(async () => {
  app = await startTestApp({ now: () => new Date(Date.now() + offset) });
  for (const role of ["admin", "finance", "support", "manager"] as const)
    as[role] = await signedIn(app.ctx, role);
  actor = actorFor(await makeUser(app.ctx, "support"));
  // Forty days ago (Daraja refuses the stale timestamp, so it ends failed: a real, old payment).
  offset = -40 * DAY;
  old = await pay(phone, 4000);
  offset = 0;
  paid = await settled((await pay(PHONES.pays, 1250)).id, "paid");
  cancelled = await settled((await pay(PHONES.cancels, 300)).id, "cancelled");
  await pay(phone, 75);
});
afterAll(async () => app?.close());

describe("payments list", () => {
  it.each([
    ["support", "0711 ••• •11"],
    ["manager", "0711 ••• •11"],
    ["finance", phone],
    ["admin", phone],
  ] as const)("%s reads the list and sees the phone as %s", async (role, shown) => {
    const body = await data("/payments?phone=0711000111", role);
    expect(body.payments.length).toBe(2);
    expect(body.payments.map((p: { phone: string }) => p.phone)).toEqual([shown, shown]);
    expect(body.canExport).toBe(role === "finance" || role === "admin");
  });

  it("shows the last 30 days by default, says so, and counts each status within them", async () => {
    const body = await data("/payments");
    expect(body.defaultWindow).toBe(true);
    expect(body.form.from).toBe(eatDayOf(Date.now() - 29 * DAY));
    const ids = body.payments.map((p: { id: string }) => p.id);
    expect(ids).toEqual(expect.arrayContaining([paid.id, cancelled.id]));
    expect(ids).not.toContain(old.id);
    expect(body.counts.counts).toMatchObject({ paid: 1, cancelled: 1 });
    expect(body.counts.total).toBe(ids.length);
  });

  it("counts the same from the reporting rollup (dates only) as from the rows (any other filter)", async () => {
    const from = eatDayOf(Date.now() - 45 * DAY);
    const rollup = await data(`/payments?from=${from}`);
    const rows = await data(`/payments?from=${from}&minAmount=0`);
    expect(rows.counts).toEqual({ ...rollup.counts, capped: false });
    expect(rollup.counts.total).toBe(4);
    expect(rollup.counts.counts).toMatchObject({ paid: 1, cancelled: 1, failed: 1, pending: 1 });
  });

  it("finds older payments by date range in East Africa Time, with counts for that range", async () => {
    const day = eatDayOf(Date.now() - 40 * DAY);
    const body = await data(`/payments?from=${day}&to=${day}`);
    expect(body.payments.map((p: { id: string }) => p.id)).toEqual([old.id]);
    expect(body.counts.total).toBe(1);
  });

  it("filters by status, order ref, receipt and amount range, and the counts ignore the status filter", async () => {
    const byStatus = await data("/payments?status=paid");
    expect(byStatus.payments.map((p: { id: string }) => p.id)).toEqual([paid.id]);
    expect(byStatus.counts.counts.cancelled).toBe(1);
    expect(
      (await data(`/payments?orderRef=${paid.orderRef}`)).payments.map((p: { id: string }) => p.id),
    ).toEqual([paid.id]);
    expect(
      (await data(`/payments?receipt=${paid.receipt!.toLowerCase()}`)).payments.map(
        (p: { id: string }) => p.id,
      ),
    ).toEqual([paid.id]);
    const band = await data("/payments?minAmount=KES+1,000&maxAmount=1500");
    expect(band.payments.map((p: { amount: number }) => p.amount)).toEqual([1250]);
  });

  it("sorts by amount and pages with a cursor kept in the URL", async () => {
    const first = await data("/payments?sort=amount_desc&limit=2");
    expect(first.payments.map((p: { amount: number }) => p.amount)).toEqual([1250, 300]);
    expect(first.nextCursor).toBeTruthy();
    const second = await data(`/payments?sort=amount_desc&limit=2&cursor=${first.nextCursor}`);
    expect(second.payments.map((p: { amount: number }) => p.amount)).toEqual([75]);
    expect(second.nextCursor).toBeNull();
  });

  it("answers a filter it cannot read with a 400 naming the field, not a crash", async () => {
    const response = await load("/payments?phone=0612");
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({
      field: "phone",
      message: expect.stringContaining("like 0712 345 678"),
    });
    expect((await jsonOf(await load("/payments?from=yesterday"))).error).toMatchObject({
      field: "from",
    });
  });

  it("sends a signed-out visitor to the sign-in page", async () => {
    const response = await call(list.loader, app.ctx, get("/payments"));
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toMatch(/^\/login/);
  });
});

describe("CSV export", () => {
  const exportAs = (role: Role, query = "") =>
    call(csvExport.loader, app.ctx, get(`/payments/export.csv${query}`, as[role]));

  it("streams the filtered payments as CSV for finance and admin, with whole phone numbers", async () => {
    for (const role of ["finance", "admin"] as const) {
      const response = await exportAs(role, "?sort=amount_desc");
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
      expect(response.headers.get("Content-Disposition")).toMatch(
        /^attachment; filename="payments-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      expect(response.body).toBeInstanceOf(ReadableStream);
      const lines = (await response.text()).trim().split("\n");
      expect(lines[0]).toBe(
        "payment_id,created_at_eat,order_ref,amount_kes,phone,status,status_reason,receipt,paid_at_eat",
      );
      expect(lines[1]).toMatch(
        new RegExp(
          `^${paid.id},\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} \\+03:00,${paid.orderRef},1250,${PHONES.pays},paid,.*,${paid.receipt},\\d{4}-`,
        ),
      );
      expect(lines).toHaveLength(4);
    }
  });

  it("answers filters it cannot read with a 400 before any CSV is sent", async () => {
    const response = await exportAs("finance", "?phone=12");
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({ field: "phone" });
  });

  it("refuses support and manager (403)", async () => {
    expect((await exportAs("support")).status).toBe(403);
    expect((await exportAs("manager")).status).toBe(403);
  });

  it("pulls page after page by cursor until the list runs out", async () => {
    const response = await exportPaymentsCsv(
      app.ctx.db,
      { sort: "oldest", from: new Date(Date.now() - 50 * DAY) },
      { unmasked: false, fileName: "x.csv", pageSize: 1 },
    );
    const rows = (await response.text()).trim().split("\n").slice(1);
    expect(rows.map((r) => r.split(",")[0])).toEqual([
      old.id,
      paid.id,
      cancelled.id,
      expect.any(String),
    ]);
    expect(rows[0]).toContain("0711 ••• •11");
  });
});

describe("global search", () => {
  const find = (q: string, role: Role = "support") =>
    call(search.loader, app.ctx, get(`/search?q=${encodeURIComponent(q)}`, as[role]));

  it("goes straight to the payment when exactly one matches: receipt, CheckoutRequestID, order ref", async () => {
    for (const q of [paid.receipt!, paid.attempts[0].checkoutRequestId!, paid.orderRef]) {
      const response = await find(q, "finance");
      expect(response.status).toBe(302);
      expect(response.headers.get("Location")).toBe(`/payments/${paid.id}`);
    }
    // For support only what holds no phone number redirects: this CheckoutRequestID holds the
    // payer's, so it is answered with the list (a redirect would confirm a guessed number).
    for (const q of [paid.receipt!, paid.orderRef])
      expect((await find(q)).headers.get("Location")).toBe(`/payments/${paid.id}`);
    const byId = await find(paid.attempts[0].checkoutRequestId!);
    expect(byId.status).toBe(200);
    expect((await jsonOf(byId)).payments.map((p: { id: string }) => p.id)).toEqual([paid.id]);
  });

  it("lists several matches for a phone in any format, masked for support", async () => {
    const body = await jsonOf(await find("+254 711 000 111"));
    expect(body.payments).toHaveLength(2);
    expect(
      body.payments.every(
        (p: { phone: string; matchedBy: string[] }) =>
          p.phone === "0711 ••• •11" && p.matchedBy.includes("phone"),
      ),
    ).toBe(true);
  });

  it("answers no match and an empty query with an empty list", async () => {
    expect(await jsonOf(await find("NOPE123456"))).toMatchObject({
      query: "NOPE123456",
      payments: [],
    });
    expect(await jsonOf(await find(""))).toMatchObject({ query: "", payments: [] });
  });
});
