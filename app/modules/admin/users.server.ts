// The admin users page's changes: the schemas its route applies to the form fields, and the typed
// changes handed to auth/users.server.ts (which writes the staff audit).
import { z } from "zod";
import type { Db } from "../../../db/client";
import { ROLES } from "../../../db/schema";
import type { Actor } from "../auth/staff-audit.server";
import { setUserDisabled, setUserRole } from "../auth/users.server";

const UserId = z.uuid("Choose a user from the list.");
export const RoleChangeSchema = z.object({
  userId: UserId,
  role: z.enum(ROLES, { message: `Role must be one of ${ROLES.join(", ")}.` }),
});
export const AccessChangeSchema = z.object({
  userId: UserId,
  disabled: z.enum(["true", "false"]).transform((v) => v === "true"),
});

export async function changeUserRole(
  db: Db,
  input: z.output<typeof RoleChangeSchema>,
  actor: Actor,
): Promise<void> {
  await setUserRole(db, input.userId, input.role, actor);
}

export async function changeUserAccess(
  db: Db,
  input: z.output<typeof AccessChangeSchema>,
  actor: Actor,
): Promise<boolean> {
  await setUserDisabled(db, input.userId, input.disabled, actor);
  return input.disabled;
}
