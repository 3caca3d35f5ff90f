// The demo users seeded in simulator mode (db/seed.ts), one per role with a known password; the login
// page lists them there and nowhere else. Pure, so the page can import it.
import type { Role } from "./permissions";

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
