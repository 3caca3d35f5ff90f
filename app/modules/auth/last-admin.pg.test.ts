// Two admins demoting or disabling each other at the same moment (PostgreSQL, many connections): the
// enabled admins' rows are locked, so one change waits for the other, sees it, and is refused. There
// is always an enabled admin left.
import { eq } from "drizzle-orm";
import { users } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { isAppError } from "../../lib/app-error";
import type { Actor } from "./staff-audit.server";
import { setUserDisabled, setUserRole } from "./users.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const enabledAdmins = async () =>
  (await app.ctx.db.select().from(users).where(eq(users.role, "admin"))).filter(
    (u) => !u.disabledAt,
  );

async function outcome(work: Promise<void>): Promise<"done" | "refused"> {
  try {
    await work;
    return "done";
  } catch (error) {
    if (isAppError(error) && error.status === 409) return "refused";
    throw error;
  }
}

describe("the last enabled admin (PostgreSQL)", () => {
  const races = {
    "demote each other": (a: string, b: string, actorA: Actor, actorB: Actor) => [
      setUserRole(app.ctx.db, b, "finance", actorA),
      setUserRole(app.ctx.db, a, "support", actorB),
    ],
    "disable each other": (a: string, b: string, actorA: Actor, actorB: Actor) => [
      setUserDisabled(app.ctx.db, b, true, actorA),
      setUserDisabled(app.ctx.db, a, true, actorB),
    ],
    "one demotes, the other disables": (a: string, b: string, actorA: Actor, actorB: Actor) => [
      setUserRole(app.ctx.db, b, "manager", actorA),
      setUserDisabled(app.ctx.db, a, true, actorB),
    ],
  };

  it.each(Object.keys(races))(
    "two admins who %s at once: one change is refused, one admin stays (20 rounds)",
    async (race) => {
      for (let round = 0; round < 20; round++) {
        // Only this round's two admins are enabled admins.
        await app.ctx.db
          .update(users)
          .set({ disabledAt: new Date() })
          .where(eq(users.role, "admin"));
        const [a, b] = [await makeUser(app.ctx, "admin"), await makeUser(app.ctx, "admin")];
        const results = await Promise.all(
          races[race as keyof typeof races](a.id, b.id, actorFor(a), actorFor(b)).map(outcome),
        );
        expect(results.sort()).toEqual(["done", "refused"]);
        expect(await enabledAdmins()).toHaveLength(1);
      }
    },
  );
});
