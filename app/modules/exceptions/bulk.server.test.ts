// Bulk case work on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): the ageing
// buckets and money per bucket, the filters, a preview that is exactly the set applied, a stale or
// altered preview refused with nothing changed, and roles. (Money-moving bulk actions: tests/routes.)
import { randomBytes } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { exceptions, staffAudit, type ExceptionType } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { SYSTEM_ACTOR } from "../auth/staff-audit.server";
import { openException } from "../ledger/cases.server";
import { applyBulk, previewBulk } from "./bulk.server";
import type { StaffActor } from "./case.server";
import { countByAge, listExceptions } from "./queries.server";
import { parseQueueFilters } from "./queue-filters";
import { resolveException } from "./resolve.server";

const NOW = new Date("2031-06-15T09:00:00Z");
const H = 3_600_000;
const D = 24 * H;

let app: TestApp;
let finance: StaffActor;
let support: StaffActor;

beforeAll(async () => {
  app = await startTestApp({ now: () => NOW });
  finance = actorFor(await makeUser(app.ctx, "finance"));
  support = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

/** A case opened through the ledger, then dated `ageMs` before the test clock's now. */
async function openCase(type: ExceptionType, amount: number, ageMs: number): Promise<string> {
  const tag = randomBytes(4).toString("hex");
  const id = await openException(app.ctx.db, SYSTEM_ACTOR, {
    type,
    dedupeKey: `bulk-test:${tag}`,
    summary: `${type} ${tag}`,
    amountAtStakeKes: amount,
  });
  await app.ctx.db
    .update(exceptions)
    .set({ openedAt: new Date(NOW.getTime() - ageMs) })
    .where(eq(exceptions.id, id!));
  return id!;
}

const filters = (query: string) => parseQueueFilters(new URLSearchParams(query));
const statusOf = async (ids: string[]) =>
  Object.fromEntries(
    (
      await app.ctx.db
        .select({ id: exceptions.id, status: exceptions.status })
        .from(exceptions)
        .where(inArray(exceptions.id, ids))
    ).map((r) => [r.id, r.status]),
  );
const bulkAudits = () =>
  app.ctx.db.select().from(staffAudit).where(eq(staffAudit.entityType, "exception_bulk"));
const caseAudits = (id: string) =>
  app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.entityType, "exception"), eq(staffAudit.entityId, id)));

describe("ageing buckets and filters", () => {
  it("counts cases and sums the money per age bucket in one query, honouring the other filters", async () => {
    // Amounts 1000–1999 belong to this test only.
    await openCase("statement_only", 1000, 2 * H);
    await openCase("statement_only", 1100, 23 * H);
    await openCase("statement_only", 1200, 1 * D); // exactly a day: the 1–7 day bucket
    await openCase("unmatched_c2b", 1300, 3 * D);
    await openCase("statement_only", 1400, 10 * D);
    await openCase("statement_only", 1500, 45 * D);
    await openCase("statement_only", 1600, 400 * D);

    const all = await countByAge(app.ctx.db, filters("minKes=1000&maxKes=1999&age=1-7d"), NOW);
    expect(all).toEqual([
      { bucket: "under-1d", count: 2, amountAtStake: 2100 },
      { bucket: "1-7d", count: 2, amountAtStake: 2500 },
      { bucket: "7-30d", count: 1, amountAtStake: 1400 },
      { bucket: "over-30d", count: 2, amountAtStake: 3100 },
    ]);
    const typed = await countByAge(
      app.ctx.db,
      filters("type=statement_only&minKes=1000&maxKes=1450"),
      NOW,
    );
    expect(typed.map((b) => [b.count, b.amountAtStake])).toEqual([
      [2, 2100],
      [1, 1200],
      [1, 1400],
      [0, 0],
    ]);
  });

  it("lists only the cases in the age bucket, amount range and EAT day asked for", async () => {
    const inDay = await openCase("time_mismatch", 2100, 5 * D);
    await openCase("time_mismatch", 2200, 5 * D);
    await openCase("time_mismatch", 2100, 40 * D);
    const list = async (query: string) =>
      (await listExceptions(app.ctx.db, { ...filters(query), limit: 200 }, NOW)).exceptions
        .map((x) => x.amountAtStake)
        .sort();
    expect(await list("type=time_mismatch&age=1-7d")).toEqual([2100, 2200]);
    expect(await list("type=time_mismatch&minKes=2100&maxKes=2100")).toEqual([2100, 2100]);
    // 5 days before 09:00 UTC (12:00 EAT) on 15 June is 10 June in Nairobi.
    const day = (await listExceptions(app.ctx.db, { ...filters("day=2031-06-10"), limit: 200 }))
      .exceptions;
    expect(day.map((x) => x.id)).toContain(inDay);
    expect(day.every((x) => x.openedAt.startsWith("2031-06-10T09:00"))).toBe(true);
    expect(await list("type=time_mismatch&day=2031-06-11")).toEqual([]);
  });
});

describe("preview and apply", () => {
  it("applies the action to exactly the previewed cases, with one audit entry naming them", async () => {
    const inSet = [
      await openCase("unmatched_c2b", 3100, 2 * D),
      await openCase("unmatched_c2b", 3200, 3 * D),
      await openCase("statement_only", 3300, 4 * D),
    ];
    const outside = [
      await openCase("unmatched_c2b", 3400, 10 * D), // another age bucket
      await openCase("unmatched_c2b", 4100, 2 * D), // above the amount range
    ];
    const preview = await previewBulk(app.ctx, finance, {
      filters: filters("age=1-7d&minKes=3000&maxKes=3999"),
    });
    expect(preview.cases.map((x) => x.id).sort()).toEqual([...inSet].sort());
    expect(preview.totalKes).toBe(9600);
    expect(preview.actions).toEqual(["write_off", "acknowledge"]);

    const result = await applyBulk(app.ctx, finance, {
      action: "write_off",
      note: "Test money from the sandbox shortcode",
      cases: preview.cases.map((x) => x.id),
      fingerprint: preview.fingerprint,
    });
    expect(result).toMatchObject({ count: 3, totalKes: 9600 });
    expect(result.message).toContain("KES 9,600");
    expect(Object.values(await statusOf(inSet))).toEqual(["resolved", "resolved", "resolved"]);
    expect(Object.values(await statusOf(outside))).toEqual(["open", "open"]);
    for (const id of inSet)
      expect(await caseAudits(id)).toMatchObject([
        {
          action: "exception.write_off",
          actorUserId: finance.userId,
          note: "Test money from the sandbox shortcode",
        },
      ]);
    const [bulk] = (await bulkAudits()).filter((a) =>
      (a.after as { caseIds: string[] }).caseIds.includes(inSet[0]),
    );
    expect(bulk).toMatchObject({
      action: "exception.bulk.write_off",
      actorUserId: finance.userId,
      note: "Test money from the sandbox shortcode",
      after: { count: 3, totalKes: 9600, caseIds: [...inSet].sort() },
    });
  });

  it("refuses a stale preview (a case resolved meanwhile) and changes nothing", async () => {
    const ids = [
      await openCase("statement_only", 5100, 2 * H),
      await openCase("statement_only", 5200, 3 * H),
    ];
    const preview = await previewBulk(app.ctx, finance, { filters: filters(""), ids });
    await resolveException(app.ctx, finance, ids[0], { intent: "acknowledge", note: "checked" });
    const before = (await bulkAudits()).length;
    await expect(
      applyBulk(app.ctx, finance, {
        action: "write_off",
        note: "stale",
        cases: ids,
        fingerprint: preview.fingerprint,
      }),
    ).rejects.toMatchObject({
      code: "stale_preview",
      status: 409,
      message: expect.stringContaining("1 is no longer open"),
    });
    expect(await statusOf(ids)).toEqual({ [ids[0]]: "resolved", [ids[1]]: "open" });
    expect(await caseAudits(ids[1])).toEqual([]);
    expect((await bulkAudits()).length).toBe(before);
  });

  it("refuses ids that are not the previewed set, and an action that does not fit, changing nothing", async () => {
    const ids = [
      await openCase("statement_only", 6100, 2 * H),
      await openCase("statement_only", 6200, 2 * H),
    ];
    const extra = await openCase("statement_only", 6300, 2 * H);
    const preview = await previewBulk(app.ctx, finance, { filters: filters(""), ids });
    await expect(
      applyBulk(app.ctx, finance, {
        action: "write_off",
        note: "one more",
        cases: [...ids, extra],
        fingerprint: preview.fingerprint,
      }),
    ).rejects.toMatchObject({ code: "stale_preview" });
    // Not offered for a statement-only case: refused by the per-case check, the whole set untouched.
    await expect(
      applyBulk(app.ctx, finance, {
        action: "accept_paid",
        note: "not offered",
        cases: ids,
        fingerprint: preview.fingerprint,
      }),
    ).rejects.toMatchObject({
      code: "action_not_for_type",
      message: expect.stringMatching(/^Nothing was changed\./),
    });
    expect(Object.values(await statusOf([...ids, extra]))).toEqual(["open", "open", "open"]);
  });

  it("lets only finance and admin preview or apply", async () => {
    const id = await openCase("statement_only", 7100, H);
    const preview = await previewBulk(app.ctx, finance, { filters: filters(""), ids: [id] });
    const manager = actorFor(await makeUser(app.ctx, "manager"));
    for (const who of [support, manager]) {
      await expect(
        previewBulk(app.ctx, who, { filters: filters(""), ids: [id] }),
      ).rejects.toMatchObject({ status: 403 });
      await expect(
        applyBulk(app.ctx, who, {
          action: "write_off",
          note: "not allowed",
          cases: [id],
          fingerprint: preview.fingerprint,
        }),
      ).rejects.toMatchObject({ status: 403 });
    }
    expect(await statusOf([id])).toEqual({ [id]: "open" });
  });
});
