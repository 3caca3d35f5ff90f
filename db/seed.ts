// Demo data for simulator mode: one user per role with known passwords and (unless DEMO_PAYMENTS=false)
// three weeks of activity to look at (db/seed-demo-activity.ts). Never in production: the config only
// enables this for MPESA_ENVIRONMENT=simulator unless SEED_DEMO_DATA says otherwise.
import { count } from "drizzle-orm";
import type { AppContext } from "../app/context.server";
import type { Actor } from "../app/modules/auth/staff-audit.server";
import { createUser } from "../app/modules/auth/users.server";
import { seedDemoActivity } from "./seed-demo-activity";
import { EXAMPLE_TARIFF, EXAMPLE_TARIFF_LABEL } from "../app/modules/tariffs/example-tariff";
import { saveTariffVersion } from "../app/modules/tariffs/tariffs.server";
import { DEMO_LOGINS } from "../app/modules/auth/demo-logins";
import { users } from "./schema";

export { DEMO_LOGINS };

export async function seedDemoData(
  ctx: AppContext,
): Promise<{ created: boolean; logins: typeof DEMO_LOGINS; payments: number }> {
  if (ctx.config.mpesa.environment === "production")
    throw new Error("refusing to seed demo users against production M-Pesa");
  const [{ n }] = await ctx.db.select({ n: count() }).from(users);
  if (n > 0) return { created: false, logins: DEMO_LOGINS, payments: 0 };
  const actors: Record<string, Actor & { kind: "user" }> = {};
  for (const login of DEMO_LOGINS) {
    const user = await createUser(ctx.db, login);
    const key = login.email.split("@")[0];
    actors[key] = {
      kind: "user",
      userId: user.id,
      label: user.name,
      role: user.role,
      ip: "127.0.0.1",
    };
  }
  // The EXAMPLE tariff (not Safaricom's, not a contract): the demo's receipts get a charge to show.
  await saveTariffVersion(ctx.db, actors.admin, {
    effectiveFrom: new Date("2020-01-01T00:00:00+03:00"),
    label: EXAMPLE_TARIFF_LABEL,
    ...EXAMPLE_TARIFF,
  });
  if (!ctx.config.demoPayments) return { created: true, logins: DEMO_LOGINS, payments: 0 };
  const { payments } = await seedDemoActivity(ctx, {
    support: actors.support,
    finance: actors.finance,
    finance2: actors.finance2,
  });
  return { created: true, logins: DEMO_LOGINS, payments };
}
