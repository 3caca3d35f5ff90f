// The console's navigation, filtered by the same permission matrix the server enforces.
import { can, type Permission, type Role } from "../modules/auth/permissions";

export type NavItem = {
  to: string;
  label: string;
  permission: Permission;
  group: "work" | "admin";
};

export const NAV_ITEMS: NavItem[] = [
  { to: "/", label: "Dashboard", permission: "reports:read", group: "work" },
  { to: "/payments", label: "Payments", permission: "payments:read", group: "work" },
  { to: "/payments/new", label: "Request payment", permission: "payments:request", group: "work" },
  { to: "/exceptions", label: "Exceptions", permission: "exceptions:read", group: "work" },
  { to: "/callbacks", label: "Callback log", permission: "callbacks:read", group: "work" },
  { to: "/reconciliation", label: "Reconciliation", permission: "statements:read", group: "work" },
  { to: "/tariffs", label: "Tariffs", permission: "reports:read", group: "work" },
  { to: "/admin/users", label: "Users", permission: "users:manage", group: "admin" },
  { to: "/admin/api-keys", label: "API keys", permission: "apikeys:manage", group: "admin" },
  { to: "/admin/webhooks", label: "Webhooks", permission: "webhooks:manage", group: "admin" },
  { to: "/admin/audit", label: "Staff audit", permission: "audit:read", group: "admin" },
  { to: "/admin/jobs", label: "Poller", permission: "jobs:read", group: "admin" },
  { to: "/admin/settings", label: "Settings", permission: "settings:read", group: "admin" },
];

export function navFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => can(role, item.permission));
}
