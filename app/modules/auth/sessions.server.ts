// Staff sessions: a random token in a signed, httpOnly cookie; the database keeps only its sha256,
// the expiry and the CSRF token. Sign-out deletes the row; an expired row is as good as none.
import { createCookie, redirect } from "@remix-run/node";
import { and, desc, eq, gt, isNull, lt } from "drizzle-orm";
import { createHash, randomBytes } from "node:crypto";
import { sessions, users, type User } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { recordStaffAction, type Actor } from "./staff-audit.server";
import { hasPublicDemoPassword } from "./users.server";

const COOKIE_NAME = "__console_session";

export type SignedInUser = Pick<User, "id" | "email" | "name" | "role">;
export type StaffSession = { id: string; user: SignedInUser; csrfToken: string; expiresAt: Date };

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function sessionCookie(ctx: AppContext) {
  return createCookie(COOKIE_NAME, {
    httpOnly: true,
    sameSite: "lax",
    secure: ctx.config.session.secureCookie,
    path: "/",
    secrets: [ctx.config.session.secret],
    maxAge: ctx.config.session.ttlHours * 3600,
  });
}

export async function createStaffSession(
  ctx: AppContext,
  userId: string,
  meta: { ip: string; userAgent: string | null },
): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const now = ctx.now();
  await ctx.db.insert(sessions).values({
    id: sha256(token),
    userId,
    csrfToken: randomBytes(24).toString("base64url"),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ctx.config.session.ttlHours * 3600_000),
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 300) ?? null,
  });
  // Expired rows are dead weight; sweeping them at sign-in keeps the table small without a job.
  await ctx.db.delete(sessions).where(lt(sessions.expiresAt, now));
  return sessionCookie(ctx).serialize(token);
}

export async function getStaffSession(
  ctx: AppContext,
  request: Request,
): Promise<StaffSession | null> {
  const token = await sessionCookie(ctx).parse(request.headers.get("Cookie"));
  if (typeof token !== "string" || !token) return null;
  const [row] = await ctx.db
    .select({
      id: sessions.id,
      csrfToken: sessions.csrfToken,
      expiresAt: sessions.expiresAt,
      userId: users.id,
      email: users.email,
      name: users.name,
      role: users.role,
      passwordHash: users.passwordHash,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.id, sha256(token)),
        gt(sessions.expiresAt, ctx.now()),
        isNull(users.disabledAt),
      ),
    );
  if (!row) return null;
  // A demo account's session from simulator days is no good once the database serves real M-Pesa.
  if (ctx.config.mpesa.environment !== "simulator" && (await hasPublicDemoPassword(row)))
    return null;
  return {
    id: row.id,
    csrfToken: row.csrfToken,
    expiresAt: row.expiresAt,
    user: { id: row.userId, email: row.email, name: row.name, role: row.role },
  };
}

export async function destroyStaffSession(ctx: AppContext, request: Request): Promise<string> {
  const session = await getStaffSession(ctx, request);
  if (session) await ctx.db.delete(sessions).where(eq(sessions.id, session.id));
  return sessionCookie(ctx).serialize("", { maxAge: 0 });
}

export function redirectToLogin(request: Request): never {
  const url = new URL(request.url);
  const next = url.pathname + url.search;
  throw redirect(next && next !== "/" ? `/login?next=${encodeURIComponent(next)}` : "/login");
}

export type ActiveSession = {
  id: string;
  userId: string;
  email: string;
  createdAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
};

/**
 * Every live session of an enabled account, newest first: signing in again keeps the old ones, so
 * admins can see and end them (disabling an account ends its sessions).
 */
export async function listActiveSessions(ctx: AppContext): Promise<ActiveSession[]> {
  return ctx.db
    .select({
      id: sessions.id,
      userId: sessions.userId,
      email: users.email,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(gt(sessions.expiresAt, ctx.now()), isNull(users.disabledAt)))
    .orderBy(desc(sessions.createdAt))
    .limit(500);
}

/** Ends one session (its cookie stops working on the next request); recorded in the staff audit. */
export async function endStaffSession(
  ctx: AppContext,
  sessionId: string,
  actor: Actor,
): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(sessionId))
    throw new AppError("not_found", "That session has already ended.", { status: 404 });
  const [ended] = await ctx.db
    .delete(sessions)
    .where(eq(sessions.id, sessionId))
    .returning({ userId: sessions.userId });
  if (!ended) throw new AppError("not_found", "That session has already ended.", { status: 404 });
  await recordStaffAction(ctx.db, actor, {
    action: "session.end",
    entityType: "user",
    entityId: ended.userId,
  });
}
