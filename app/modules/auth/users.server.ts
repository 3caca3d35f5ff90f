// Staff accounts and signing in. Failed sign-ins are throttled per account and per address so a
// password cannot be guessed by brute force, and the answer never says which part was wrong.
import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { loginAttempts, ROLES, users, type Role, type User } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { parseWith } from "../../lib/validation";
import {
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from "./password.server";
import { forgive, hit, sweepRateLimits } from "./rate-limit.server";
import { recordStaffAction, type Actor } from "./staff-audit.server";

export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

export const CreateUserSchema = z.object({
  email: z.email("Enter a valid email address.").transform((e) => e.toLowerCase()),
  name: z.string().trim().min(1, "Enter a name.").max(100),
  role: z.enum(ROLES, { message: `Role must be one of ${ROLES.join(", ")}.` }),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`)
    .max(MAX_PASSWORD_LENGTH, `Password must be at most ${MAX_PASSWORD_LENGTH} characters.`),
});
export type CreateUserInput = z.input<typeof CreateUserSchema>;

export type PublicUser = Pick<User, "id" | "email" | "name" | "role" | "createdAt" | "disabledAt">;
const publicColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  createdAt: users.createdAt,
  disabledAt: users.disabledAt,
};

export async function createUser(
  db: Db,
  input: CreateUserInput,
  actor?: Actor,
): Promise<PublicUser> {
  const data = parseWith(CreateUserSchema, input);
  const [existing] = await db
    .select({ id: users.id })
    .from(users)
    .where(eq(sql`lower(${users.email})`, data.email));
  if (existing)
    throw new AppError("email_taken", `A user with the email ${data.email} already exists.`, {
      status: 409,
      field: "email",
    });
  const [user] = await db
    .insert(users)
    .values({
      email: data.email,
      name: data.name,
      role: data.role,
      passwordHash: await hashPassword(data.password),
    })
    .returning(publicColumns);
  if (actor)
    await recordStaffAction(db, actor, {
      action: "user.create",
      entityType: "user",
      entityId: user.id,
      after: { email: user.email, role: user.role },
    });
  return user;
}

export async function listUsers(db: Db): Promise<PublicUser[]> {
  return db.select(publicColumns).from(users).orderBy(asc(users.email));
}

export async function setUserDisabled(
  db: Db,
  userId: string,
  disabled: boolean,
  actor: Actor,
): Promise<void> {
  const [before] = await db.select(publicColumns).from(users).where(eq(users.id, userId));
  if (!before) throw new AppError("not_found", "That user does not exist.", { status: 404 });
  if (actor.kind === "user" && actor.userId === userId)
    throw new AppError("forbidden", "You cannot disable your own account.", { status: 400 });
  await db
    .update(users)
    .set({ disabledAt: disabled ? new Date() : null, updatedAt: new Date() })
    .where(eq(users.id, userId));
  await recordStaffAction(db, actor, {
    action: disabled ? "user.disable" : "user.enable",
    entityType: "user",
    entityId: userId,
    before: { disabled: !!before.disabledAt },
    after: { disabled },
  });
}

export async function setUserRole(db: Db, userId: string, role: Role, actor: Actor): Promise<void> {
  const [before] = await db.select(publicColumns).from(users).where(eq(users.id, userId));
  if (!before) throw new AppError("not_found", "That user does not exist.", { status: 404 });
  // An admin demoting themselves could leave nobody able to manage users.
  if (actor.kind === "user" && actor.userId === userId && role !== before.role)
    throw new AppError("forbidden", "You cannot change your own role; ask another admin.", {
      status: 400,
    });
  await db.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, userId));
  await recordStaffAction(db, actor, {
    action: "user.role",
    entityType: "user",
    entityId: userId,
    before: { role: before.role },
    after: { role },
  });
}

export type SignInResult = { ok: true; user: PublicUser } | { ok: false; message: string };

const THROTTLE = { windowMs: THROTTLE_WINDOW_MS } as const;
const TOO_MANY =
  "Too many failed sign-ins. Wait 15 minutes and try again, or ask an admin to reset your password.";

export async function signIn(
  ctx: AppContext,
  input: { email: string; password: string; ip: string },
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase().slice(0, 254);
  if (input.password.length > MAX_PASSWORD_LENGTH || input.password.length === 0)
    return { ok: false, message: "Email or password is incorrect." };
  // Each attempt takes a slot first (one atomic upsert per key), so 50 concurrent guesses cannot all
  // read "4 failures so far" and all be checked; a sign-in that succeeds gives its slots back.
  const accountKey = `sign-in:account:${email}`;
  const addressKey = `sign-in:address:${input.ip}`;
  const byAccount = await hit(
    ctx.db,
    accountKey,
    { ...THROTTLE, limit: MAX_FAILURES_PER_ACCOUNT },
    ctx.now(),
  );
  const byAddress = await hit(
    ctx.db,
    addressKey,
    { ...THROTTLE, limit: MAX_FAILURES_PER_ADDRESS },
    ctx.now(),
  );
  if (!byAccount.allowed || !byAddress.allowed) {
    await ctx.db
      .insert(loginAttempts)
      .values({ email, ip: input.ip, succeeded: false, createdAt: ctx.now() });
    return { ok: false, message: TOO_MANY };
  }
  const [user] = await ctx.db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email));
  // Verify against a real hash even for an unknown email, so timing does not reveal which emails exist.
  const valid =
    (await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH)) &&
    !!user &&
    !user.disabledAt;
  await ctx.db
    .insert(loginAttempts)
    .values({ email, ip: input.ip, succeeded: valid, createdAt: ctx.now() });
  if (!valid || !user) return { ok: false, message: "Email or password is incorrect." };
  await forgive(ctx.db, accountKey);
  await forgive(ctx.db, addressKey);
  await sweepRateLimits(ctx.db, ctx.now(), 24 * 3600_000);
  return {
    ok: true,
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      createdAt: user.createdAt,
      disabledAt: user.disabledAt,
    },
  };
}

// scrypt of a random string: lets the unknown-user path cost the same as a real check.
const DUMMY_HASH =
  "scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA==$6Y2p6wQ3y7b5Qm6l0Zr8YyXw2qkqz0kQ8QjX6m1m3nE=";
