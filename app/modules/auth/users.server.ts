// Staff accounts and signing in. Failed sign-ins are throttled so a password cannot be guessed by
// brute force, without handing anyone who knows a staff email a way to keep that person out, and the
// answer never says which part was wrong.
import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  loginAttempts,
  rateLimits,
  ROLES,
  sessions,
  users,
  type Role,
  type User,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { addressBucket } from "../../lib/http.server";
import { parseWith } from "../../lib/validation";
import {
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from "./password.server";
import { DEMO_LOGINS } from "./demo-logins";
import { forgive, hit, sweepRateLimits } from "./rate-limit.server";
import { recordStaffAction, type Actor } from "./staff-audit.server";

export const THROTTLE_WINDOW_MS = 15 * 60_000;
/** Failures for one account from one address: that address is then refused for that account. */
export const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
/** Failures for one account from anywhere: then only addresses it has signed in from get through. */
export const MAX_FAILURES_PER_ACCOUNT = 10;
/** Failures from one address, whatever the accounts (guessing one password across many). */
export const MAX_FAILURES_PER_ADDRESS = 20;
/** An address the account signed in from this recently is the person's own: not held by failures elsewhere. */
export const KNOWN_ADDRESS_MS = 30 * 24 * 3600_000;

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

/**
 * Locks the rows of every enabled admin, in id order (two changes queue instead of deadlocking), and
 * returns their ids: read under the lock, a change that would leave no enabled admin sees the change
 * that committed before it (PostgreSQL re-reads a locked row that another transaction changed).
 */
async function lockEnabledAdmins(tx: Db): Promise<string[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for("update");
  return rows.map((r) => r.id);
}

/** The user, locked, after the admins: the same lock order for every change of a user. */
async function lockedUser(tx: Db, userId: string): Promise<PublicUser> {
  const [user] = await tx
    .select(publicColumns)
    .from(users)
    .where(eq(users.id, userId))
    .for("update");
  if (!user) throw new AppError("not_found", "That user does not exist.", { status: 404 });
  return user;
}

function refuseLastAdmin(admins: string[], userId: string, what: string): void {
  if (admins.includes(userId) && !admins.some((id) => id !== userId))
    throw new AppError(
      "last_admin",
      `${what} would leave no enabled admin to manage users. Make someone else an admin first.`,
      { status: 409 },
    );
}

/**
 * Disables (or enables) an account. Its sessions end in the same transaction, either way: a disabled
 * user's cookies must not come back to life when the account is enabled again.
 */
export async function setUserDisabled(
  db: Db,
  userId: string,
  disabled: boolean,
  actor: Actor,
): Promise<void> {
  await db.transaction(async (tx) => {
    const admins = await lockEnabledAdmins(tx);
    const before = await lockedUser(tx, userId);
    if (actor.kind === "user" && actor.userId === userId)
      throw new AppError("forbidden", "You cannot disable your own account.", { status: 400 });
    if (disabled) refuseLastAdmin(admins, userId, "Disabling this admin");
    await tx
      .update(users)
      .set({ disabledAt: disabled ? new Date() : null, updatedAt: new Date() })
      .where(eq(users.id, userId));
    await tx.delete(sessions).where(eq(sessions.userId, userId));
    await recordStaffAction(tx, actor, {
      action: disabled ? "user.disable" : "user.enable",
      entityType: "user",
      entityId: userId,
      before: { disabled: !!before.disabledAt },
      after: { disabled },
    });
  });
}

export async function setUserRole(db: Db, userId: string, role: Role, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const admins = await lockEnabledAdmins(tx);
    const before = await lockedUser(tx, userId);
    // An admin demoting themselves could leave nobody able to manage users.
    if (actor.kind === "user" && actor.userId === userId && role !== before.role)
      throw new AppError("forbidden", "You cannot change your own role; ask another admin.", {
        status: 400,
      });
    if (role !== "admin") refuseLastAdmin(admins, userId, "Changing this admin's role");
    await tx.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, userId));
    await recordStaffAction(tx, actor, {
      action: "user.role",
      entityType: "user",
      entityId: userId,
      before: { role: before.role },
      after: { role },
    });
  });
}

export type SignInResult = { ok: true; user: PublicUser } | { ok: false; message: string };

const THROTTLE = { windowMs: THROTTLE_WINDOW_MS } as const;
const ACCOUNT_KEY = "sign-in:account:";
const PAIR_KEY = "sign-in:account-address:";
const DEMO_REFUSED =
  "This is a demo account with a published password: it cannot sign in outside simulator mode. An admin can set it a new password under Admin → Users.";
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
  // Three limits (docs/decisions/009-sign-in-throttle.md):
  // - one account from one address: 5 failures refuse that address for that account;
  // - one account from anywhere: 10 failures refuse it to addresses it has not signed in from lately
  //   (guessing spread over many addresses);
  // - one address: 20 failures, whatever the accounts (one password tried on many).
  // An address the account has signed in from lately is held only by the first: failures elsewhere,
  // or someone else's sharing its public address, cannot keep the person out where they sign in.
  const now = ctx.now();
  // An IPv6 address counts by its /64: one subscriber's network, whose every address they can use.
  const address = addressBucket(input.ip);
  const keys = {
    pair: `${PAIR_KEY}${email}|${address}`,
    account: `${ACCOUNT_KEY}${email}`,
    address: `sign-in:address:${address}`,
  };
  const byPair = await hit(
    ctx.db,
    keys.pair,
    { ...THROTTLE, limit: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS },
    now,
  );
  // An attempt the first limit refuses takes no slot of the others (it is not checked at all).
  const known = byPair.allowed && (await signedInFrom(ctx.db, email, input.ip, now));
  const [byAddress, byAccount] =
    known || !byPair.allowed
      ? [null, null]
      : [
          await hit(ctx.db, keys.address, { ...THROTTLE, limit: MAX_FAILURES_PER_ADDRESS }, now),
          await hit(ctx.db, keys.account, { ...THROTTLE, limit: MAX_FAILURES_PER_ACCOUNT }, now),
        ];
  if (!byPair.allowed || (byAddress && !byAddress.allowed) || (byAccount && !byAccount.allowed)) {
    await ctx.db
      .insert(loginAttempts)
      .values({ email, ip: input.ip, succeeded: false, createdAt: now });
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
  // The demo accounts' passwords are published (README, the simulator's sign-in page): once the
  // database serves real M-Pesa they are refused until an admin sets a new password.
  const publishedDemo =
    valid &&
    ctx.config.mpesa.environment !== "simulator" &&
    DEMO_LOGINS.some((d) => d.email === email && d.password === input.password);
  await ctx.db
    .insert(loginAttempts)
    .values({ email, ip: input.ip, succeeded: valid && !publishedDemo, createdAt: ctx.now() });
  if (!valid || !user) return { ok: false, message: "Email or password is incorrect." };
  if (publishedDemo) {
    ctx.log.warn(
      { email, environment: ctx.config.mpesa.environment },
      "refused a demo account's published password outside simulator mode",
    );
    return { ok: false, message: DEMO_REFUSED };
  }
  // Only the slots this attempt took are given back.
  await forgive(ctx.db, keys.pair);
  if (byAddress) await forgive(ctx.db, keys.address);
  if (byAccount) await forgive(ctx.db, keys.account);
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

/** Drops the failures counted against an account, from anywhere and from each address (an admin reset). */
export async function clearSignInFailures(db: Db, email: string): Promise<void> {
  const account = email.trim().toLowerCase();
  await db
    .delete(rateLimits)
    .where(
      or(
        eq(rateLimits.key, `${ACCOUNT_KEY}${account}`),
        sql`starts_with(${rateLimits.key}, ${`${PAIR_KEY}${account}|`})`,
      ),
    );
}

/** Whether this account has signed in from this address within KNOWN_ADDRESS_MS. */
async function signedInFrom(db: Db, email: string, ip: string, now: Date): Promise<boolean> {
  const [row] = await db
    .select({ id: loginAttempts.id })
    .from(loginAttempts)
    .where(
      and(
        eq(loginAttempts.email, email),
        eq(loginAttempts.ip, ip),
        eq(loginAttempts.succeeded, true),
        gt(loginAttempts.createdAt, new Date(now.getTime() - KNOWN_ADDRESS_MS)),
      ),
    )
    .limit(1);
  return !!row;
}

const demoHashChecks = new Map<string, boolean>();

/**
 * Whether this is one of the demo accounts (db/seed.ts) still on its published password. One scrypt
 * per stored hash and process, so a session check can afford it; any other email costs nothing.
 */
export async function hasPublicDemoPassword(user: {
  email: string;
  passwordHash: string;
}): Promise<boolean> {
  const demo = DEMO_LOGINS.find((d) => d.email === user.email.toLowerCase());
  if (!demo) return false;
  const key = `${demo.email}|${user.passwordHash}`;
  let published = demoHashChecks.get(key);
  if (published === undefined) {
    published = await verifyPassword(demo.password, user.passwordHash);
    if (demoHashChecks.size > 100) demoHashChecks.clear();
    demoHashChecks.set(key, published);
  }
  return published;
}

// scrypt of a random string: lets the unknown-user path cost the same as a real check.
const DUMMY_HASH =
  "scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA==$6Y2p6wQ3y7b5Qm6l0Zr8YyXw2qkqz0kQ8QjX6m1m3nE=";
