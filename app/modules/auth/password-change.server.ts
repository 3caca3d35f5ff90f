// Passwords after the first: a user changes their own (knowing the current one), an admin resets
// someone else's (a temporary one to hand over). Either way every other session of that user ends,
// and the staff audit records the change, never the password.
import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { sessions, users } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from "./password.server";
import { recordStaffAction, type Actor } from "./staff-audit.server";
import { hit } from "./rate-limit.server";
import { clearSignInFailures } from "./users.server";

const NewPassword = z
  .string({ message: "Enter the new password." })
  .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(200, "Keep the password under 200 characters.");

export const ResetPasswordSchema = z.object({
  userId: z.uuid("Choose a user from the list."),
  password: NewPassword,
});
export const ChangePasswordSchema = z
  .object({
    current: z
      .string({ message: "Enter your current password." })
      .min(1, "Enter your current password."),
    password: NewPassword,
    confirm: z.string().optional(),
  })
  .refine((v) => v.confirm === undefined || v.confirm === v.password, {
    message: "The two new passwords differ.",
    path: ["confirm"],
  });

/** An admin sets a temporary password for someone else; that user's sessions end. */
export async function resetUserPassword(
  db: Db,
  input: z.output<typeof ResetPasswordSchema>,
  actor: Actor & { kind: "user" },
) {
  if (input.userId === actor.userId)
    throw new AppError("invalid_request", "Change your own password under “Your password”.", {
      field: "userId",
    });
  const hash = await hashPassword(input.password);
  const [user] = await db.transaction(async (tx) => {
    const updated = await tx
      .update(users)
      .set({ passwordHash: hash, updatedAt: new Date() })
      .where(eq(users.id, input.userId))
      .returning({ id: users.id, email: users.email });
    if (!updated.length)
      throw new AppError("not_found", "That user does not exist.", { status: 404 });
    await tx.delete(sessions).where(eq(sessions.userId, input.userId));
    // The sign-in refusal tells a held person to ask an admin for a reset: the reset lets them in,
    // wherever they are (failures counted against the account and its addresses are dropped).
    await clearSignInFailures(tx, updated[0].email);
    await recordStaffAction(tx, actor, {
      action: "user.password_reset",
      entityType: "user",
      entityId: input.userId,
    });
    return updated;
  });
  return user;
}

export const PASSWORD_CHANGE_LIMIT = { limit: 5, windowMs: 15 * 60_000 };

/** A signed-in user changes their own password; their other sessions end, this one stays. */
export async function changeOwnPassword(
  db: Db,
  input: z.output<typeof ChangePasswordSchema>,
  actor: Actor & { kind: "user" },
  currentSessionId: string,
) {
  // Someone holding a stolen session must not be able to guess the current password at leisure.
  const { allowed } = await hit(
    db,
    `password-change:${actor.userId}`,
    PASSWORD_CHANGE_LIMIT,
    new Date(),
  );
  if (!allowed)
    throw new AppError(
      "rate_limited",
      "Too many password changes in a short time; wait fifteen minutes and try again.",
      { status: 429, field: "current" },
    );
  const [user] = await db
    .select({ hash: users.passwordHash })
    .from(users)
    .where(eq(users.id, actor.userId));
  if (!user || !(await verifyPassword(input.current, user.hash)))
    throw new AppError("invalid_request", "That is not your current password.", {
      field: "current",
    });
  const hash = await hashPassword(input.password);
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash: hash, updatedAt: new Date() })
      .where(eq(users.id, actor.userId));
    await tx
      .delete(sessions)
      .where(and(eq(sessions.userId, actor.userId), ne(sessions.id, currentSessionId)));
    await recordStaffAction(tx, actor, {
      action: "user.password_change",
      entityType: "user",
      entityId: actor.userId,
    });
  });
}
