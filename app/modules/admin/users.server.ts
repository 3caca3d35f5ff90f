// The admin users page's changes, parsed from form fields and handed to auth/users.server.ts (which
// writes the staff audit). Kept apart so the route stays four beats.
import { z } from "zod";
import type { Db } from "../../../db/client";
import { ROLES } from "../../../db/schema";
import { parseWith } from "../../lib/validation";
import type { Actor } from "../auth/staff-audit.server";
import { setUserDisabled, setUserRole } from "../auth/users.server";

const UserId = z.uuid("Choose a user from the list.");
const RoleChangeSchema = z.object({
  userId: UserId,
  role: z.enum(ROLES, { message: `Role must be one of ${ROLES.join(", ")}.` }),
});
const AccessChangeSchema = z.object({
  userId: UserId,
  disabled: z.enum(["true", "false"]).transform((v) => v === "true"),
});

export async function changeUserRole(db: Db, raw: unknown, actor: Actor): Promise<void> {
  const input = parseWith(RoleChangeSchema, raw);
  await setUserRole(db, input.userId, input.role, actor);
}

export async function changeUserAccess(db: Db, raw: unknown, actor: Actor): Promise<boolean> {
  const input = parseWith(AccessChangeSchema, raw);
  await setUserDisabled(db, input.userId, input.disabled, actor);
  return input.disabled;
}
