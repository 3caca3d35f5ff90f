// Demo data for simulator mode: one user per role with known passwords (never in production: the
// config only enables this for MPESA_ENVIRONMENT=simulator unless SEED_DEMO_DATA says otherwise).
import { count } from "drizzle-orm";
import type { AppContext } from "../app/context.server";
import { createUser } from "../app/modules/auth/users.server";
import { users, type Role } from "./schema";

export const DEMO_LOGINS: { role: Role; email: string; name: string; password: string }[] = [
  { role: "admin", email: "admin@demo.test", name: "Amina Admin", password: "demo-admin-pass" },
  {
    role: "finance",
    email: "finance@demo.test",
    name: "Faith Finance",
    password: "demo-finance-pass",
  },
  {
    role: "finance",
    email: "finance2@demo.test",
    name: "Felix Finance",
    password: "demo-finance-pass",
  },
  {
    role: "support",
    email: "support@demo.test",
    name: "Sam Support",
    password: "demo-support-pass",
  },
  {
    role: "manager",
    email: "manager@demo.test",
    name: "Mary Manager",
    password: "demo-manager-pass",
  },
];

export async function seedDemoData(
  ctx: AppContext,
): Promise<{ created: boolean; logins: typeof DEMO_LOGINS }> {
  if (ctx.config.mpesa.environment === "production")
    throw new Error("refusing to seed demo users against production M-Pesa");
  const [{ n }] = await ctx.db.select({ n: count() }).from(users);
  if (n > 0) return { created: false, logins: DEMO_LOGINS };
  for (const login of DEMO_LOGINS) await createUser(ctx.db, login);
  return { created: true, logins: DEMO_LOGINS };
}
