// Test data made through the real domain functions, each test its own rows.
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../app/context.server";
import { createApiKey } from "../../app/modules/auth/api-keys.server";
import { createStaffSession } from "../../app/modules/auth/sessions.server";
import type { Actor } from "../../app/modules/auth/staff-audit.server";
import { createUser } from "../../app/modules/auth/users.server";
import type { Role } from "../../db/schema";

export const TEST_PASSWORD = "correct horse battery";

export async function makeUser(
  ctx: AppContext,
  role: Role,
  overrides: { email?: string; name?: string } = {},
) {
  const tag = randomBytes(3).toString("hex");
  return createUser(ctx.db, {
    email: overrides.email ?? `${role}-${tag}@example.test`,
    name: overrides.name ?? `${role} ${tag}`,
    role,
    password: TEST_PASSWORD,
  });
}

export function actorFor(user: { id: string; name: string; role: Role }): Actor & { kind: "user" } {
  return { kind: "user", userId: user.id, label: user.name, role: user.role, ip: "127.0.0.1" };
}

/** A signed-in user: the cookie header to send and the session's CSRF token. */
export async function signedIn(ctx: AppContext, role: Role) {
  const user = await makeUser(ctx, role);
  const setCookie = await createStaffSession(ctx, user.id, {
    ip: "127.0.0.1",
    userAgent: "vitest",
  });
  const cookie = setCookie.split(";")[0];
  const { getStaffSession } = await import("../../app/modules/auth/sessions.server");
  const session = await getStaffSession(
    ctx,
    new Request("http://x/", { headers: { Cookie: cookie } }),
  );
  return { user, cookie, csrf: session!.csrfToken, actor: actorFor(user) };
}

export async function makeApiKey(ctx: AppContext, role: Role) {
  const admin = await makeUser(ctx, "admin");
  return createApiKey(
    ctx.db,
    { name: `key ${randomBytes(2).toString("hex")}`, role },
    actorFor(admin),
  );
}

let orderCounter = 0;
export function orderRef(prefix = "ORD"): string {
  orderCounter += 1;
  return `${prefix}-${process.pid}-${orderCounter}-${randomBytes(2).toString("hex")}`;
}

/** Test phone numbers of the simulator (simulator/outcomes.ts). */
export const PHONES = {
  pays: "254708000001",
  cancels: "254708000002",
  unreachable: "254708000003",
  insufficient: "254708000004",
  wrongPin: "254708000005",
  lostCallback: "254708000006",
  duplicateCallback: "254708000007",
  conflictingCallback: "254708000008",
  wrongAmount: "254708000009",
  lateSuccess: "254708000010",
  pending4999: "254708000011",
  neverResolves: "254708000012",
  busy: "254708000013",
  hangs: "254708000014",
  handset: "254712345678",
} as const;
