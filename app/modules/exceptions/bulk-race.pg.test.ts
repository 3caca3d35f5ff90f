// Two finance users bulk-resolving overlapping sets at the same moment: only a multi-connection
// PostgreSQL can race them. The row locks queue one behind the other; the second finds its preview
// stale and changes nothing, so every case is resolved exactly once, by one of them.
import { randomBytes } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { exceptions, staffAudit } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { SYSTEM_ACTOR } from "../auth/staff-audit.server";
import { openException } from "../ledger/cases.server";
import { applyBulk, previewBulk } from "./bulk.server";
import type { StaffActor } from "./case.server";
import { parseQueueFilters } from "./queue-filters";

let app: TestApp;
let first: StaffActor;
let second: StaffActor;

beforeAll(async () => {
  app = await startTestApp();
  first = actorFor(await makeUser(app.ctx, "finance"));
  second = actorFor(await makeUser(app.ctx, "finance"));
});
afterAll(async () => app?.close());

async function openCases(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const tag = randomBytes(4).toString("hex");
    ids.push(
      (await openException(app.ctx.db, SYSTEM_ACTOR, {
        type: "statement_only",
        dedupeKey: `bulk-race:${tag}`,
        summary: `statement only ${tag}`,
        amountAtStakeKes: 100 + i,
      }))!,
    );
  }
  return ids;
}

async function previewAndApply(
  actor: StaffActor,
  ids: string[],
  action: "write_off" | "acknowledge",
) {
  const preview = await previewBulk(app.ctx, actor, {
    filters: parseQueueFilters(new URLSearchParams()),
    ids,
  });
  return () =>
    applyBulk(app.ctx, actor, {
      action,
      note: `bulk by ${actor.label}`,
      cases: ids,
      fingerprint: preview.fingerprint,
    });
}

describe("two finance users bulk-resolving overlapping sets (PostgreSQL)", () => {
  it.each([1, 2, 3, 4, 5])("resolves each case exactly once (round %i)", async () => {
    const ids = await openCases(8);
    const mine = ids.slice(0, 5); // overlap: ids[2..4]
    const theirs = ids.slice(2);
    // Both preview before either applies: both previews are current when they are made.
    const [a, b] = [
      await previewAndApply(first, mine, "write_off"),
      await previewAndApply(second, theirs, "acknowledge"),
    ];
    const results = await Promise.allSettled([a(), b()]);
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({
      reason: { code: "stale_preview", status: 409 },
    });
    const winner = results[0].status === "fulfilled" ? first : second;
    const winnerSet = winner === first ? mine : theirs;

    const rows = await app.ctx.db.select().from(exceptions).where(inArray(exceptions.id, ids));
    for (const x of rows) {
      const audits = await app.ctx.db
        .select()
        .from(staffAudit)
        .where(and(eq(staffAudit.entityType, "exception"), eq(staffAudit.entityId, x.id)));
      if (winnerSet.includes(x.id)) {
        expect(x).toMatchObject({ status: "resolved", resolvedByUserId: winner.userId });
        expect(audits).toHaveLength(1);
      } else {
        // Only in the loser's set: the loser changed nothing at all.
        expect(x.status).toBe("open");
        expect(audits).toHaveLength(0);
      }
    }
  });
});
