// Who is looking decides what leaves the server: for roles without phones:unmasked (support,
// manager) every read model's result passes through one deep redaction (lib/msisdn.ts) before it
// becomes page data, JSON, a CSV row or an error body, so a number under an unexpected key — a
// BillRefNumber, a note, an order reference — is masked as surely as the phone column. Pure.
import { redactDeep } from "../../lib/msisdn";
import { can, type Role } from "./permissions";

export type Viewer = { role: Role; masked: boolean };

export function viewerOf(who: { role: Role } | Role): Viewer {
  const role = typeof who === "string" ? who : who.role;
  return { role, masked: !can(role, "phones:unmasked") };
}

/** The data as this viewer may see it: untouched for finance and admin, phones masked otherwise. */
export function viewFor<T>(viewer: { masked: boolean }, data: T): T {
  return viewer.masked ? redactDeep(data) : data;
}
