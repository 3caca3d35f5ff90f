// Who may do what: one matrix in code, read by the server's guards and by components that hide the
// buttons a role may not press. Pure, so both sides import it.
import type { Role } from "../../../db/schema";

export type { Role };
export const ROLE_LABELS: Record<Role, string> = {
  admin: "Admin",
  finance: "Finance",
  support: "Support",
  manager: "Manager",
};

export const PERMISSIONS = {
  "payments:read": ["admin", "finance", "support", "manager"],
  "payments:request": ["admin", "support"],
  "payments:act": ["admin", "finance", "support"], // re-send prompt, check status now, add a note
  "phones:unmasked": ["admin", "finance"],
  // Transaction Status, reversal requests and approvals (a second finance user approves), balance.
  "payments:money_out": ["admin", "finance"],
  "callbacks:read": ["admin", "finance"],
  "callbacks:reprocess": ["admin", "finance"],
  "exceptions:read": ["admin", "finance", "support", "manager"],
  "exceptions:resolve": ["admin", "finance"],
  "reports:read": ["admin", "finance", "support", "manager"],
  "exports:csv": ["admin", "finance"],
  "statements:read": ["admin", "finance"],
  "statements:import": ["admin", "finance"],
  "reconciliation:signoff": ["admin", "finance"],
  "account:password": ["admin", "finance", "support", "manager"], // change one's own password
  "users:manage": ["admin"],
  "apikeys:manage": ["admin"],
  "webhooks:manage": ["admin"],
  "settings:read": ["admin"],
  "settings:manage": ["admin"], // the few settings kept in the database (the reversal cap)
  "tariffs:manage": ["admin"], // add a tariff version; anyone with reports:read may view them
  "audit:read": ["admin"],
  "jobs:read": ["admin"],
  "jobs:run": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return role != null && (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => can(role, p));
}
