// The append-only record of every state change a person (or a merchant's API key) makes: who, what,
// on which record, before/after, when, from where. The table refuses UPDATE and DELETE (migration 0001).
import type { Db } from "../../../db/client";
import { staffAudit } from "../../../db/schema";
import type { Role } from "./permissions";

export type Actor =
  | { kind: "user"; userId: string; label: string; role: Role; ip: string }
  | { kind: "api_key"; apiKeyId: string; label: string; role: Role; ip: string }
  | { kind: "system"; label: string };

export const SYSTEM_ACTOR: Actor = { kind: "system", label: "system" };

export type StaffAction = {
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  note?: string | null;
};

export async function recordStaffAction(db: Db, actor: Actor, entry: StaffAction): Promise<void> {
  await db.insert(staffAudit).values({
    actorUserId: actor.kind === "user" ? actor.userId : null,
    actorApiKeyId: actor.kind === "api_key" ? actor.apiKeyId : null,
    actorLabel: actor.label,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    note: entry.note ?? null,
    ip: actor.kind === "system" ? null : actor.ip,
  });
}
