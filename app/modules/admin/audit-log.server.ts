// Reading the staff audit (who changed what): filter by actor, action and entity,
// newest first, keyset-paginated so page 500 costs what page 1 does, and a streaming CSV of the lot.
import { and, desc, eq, gte, ilike, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { staffAudit, users } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { allPages, csvResponse } from "../../lib/csv-export.server";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { addDays, formatEat, startOfEatDay } from "../../lib/time";
import { AUDIT_PAGE_SIZE, type AuditListInput } from "./audit-filters";
import { UUID } from "../../lib/uuid";

export type AuditEntryView = {
  id: number;
  at: string;
  actor: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  note: string | null;
  ip: string | null;
  /** The name of the user an entry is about (entity type `user`), so people read names, not ids. */
  entityName: string | null;
};

const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function conditions(f: AuditListInput): SQL[] {
  const where: SQL[] = [];
  if (f.actor) {
    where.push(
      UUID.test(f.actor)
        ? or(eq(staffAudit.actorUserId, f.actor), eq(staffAudit.actorApiKeyId, f.actor))!
        : ilike(staffAudit.actorLabel, `%${likeEscape(f.actor)}%`),
    );
  }
  if (f.action)
    where.push(
      f.action.endsWith("*")
        ? sql`${staffAudit.action} like ${`${likeEscape(f.action.slice(0, -1))}%`}`
        : eq(staffAudit.action, f.action),
    );
  if (f.entityType) where.push(eq(staffAudit.entityType, f.entityType));
  if (f.entityId) where.push(eq(staffAudit.entityId, f.entityId));
  if (f.from) where.push(gte(staffAudit.createdAt, startOfEatDay(f.from)));
  if (f.to) where.push(lt(staffAudit.createdAt, startOfEatDay(addDays(f.to, 1))));
  return where;
}

export async function listStaffAudit(
  db: Db,
  input: AuditListInput,
): Promise<{ entries: AuditEntryView[]; nextCursor: string | null }> {
  const f = { ...input, limit: input.limit ?? AUDIT_PAGE_SIZE };
  const where = conditions(f);
  const cursor = decodeCursor(f.cursor, ["date", "int"]);
  if (f.cursor && !cursor)
    throw new AppError(
      "invalid_request",
      "The cursor is not valid; start again from the first page.",
      { field: "cursor" },
    );
  if (cursor) {
    const at = new Date(String(cursor[0]));
    const id = Number(cursor[1]);
    where.push(
      or(lt(staffAudit.createdAt, at), and(eq(staffAudit.createdAt, at), lt(staffAudit.id, id)))!,
    );
  }
  const rows = await db
    .select()
    .from(staffAudit)
    .where(and(...where))
    .orderBy(desc(staffAudit.createdAt), desc(staffAudit.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  const userIds = [
    ...new Set(
      page
        .filter((r) => r.entityType === "user" && r.entityId && UUID.test(r.entityId))
        .map((r) => r.entityId!),
    ),
  ];
  const names = new Map(
    userIds.length
      ? (
          await db
            .select({ id: users.id, name: users.name })
            .from(users)
            .where(inArray(users.id, userIds))
        ).map((u) => [u.id, u.name])
      : [],
  );
  return {
    entries: page.map((r) => ({
      entityName: r.entityType === "user" && r.entityId ? (names.get(r.entityId) ?? null) : null,
      id: r.id,
      at: r.createdAt.toISOString(),
      actor: r.actorLabel,
      actorUserId: r.actorUserId,
      actorApiKeyId: r.actorApiKeyId,
      action: r.action,
      entityType: r.entityType,
      entityId: r.entityId,
      before: r.before,
      after: r.after,
      note: r.note,
      ip: r.ip,
    })),
    nextCursor:
      rows.length > f.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
  };
}

const json = (value: unknown) => (value == null ? "" : JSON.stringify(value));

/** The filtered audit as a CSV download, fetched 500 rows at a time as the client reads. */
export function staffAuditCsv(db: Db, input: AuditListInput): Response {
  const filters = { ...input, limit: 500 };
  const rows = allPages((cursor) =>
    listStaffAudit(db, { ...filters, cursor }).then((p) => ({
      rows: p.entries,
      nextCursor: p.nextCursor,
    })),
  );
  return csvResponse<AuditEntryView>(
    "staff-audit.csv",
    [
      { header: "Time (EAT)", value: (r) => formatEat(r.at) },
      { header: "Time (UTC)", value: (r) => r.at },
      { header: "Actor", value: (r) => r.actor },
      { header: "Action", value: (r) => r.action },
      { header: "Entity type", value: (r) => r.entityType },
      { header: "Entity id", value: (r) => r.entityId },
      { header: "Before", value: (r) => json(r.before) },
      { header: "After", value: (r) => json(r.after) },
      { header: "Note", value: (r) => r.note },
      { header: "IP address", value: (r) => r.ip },
    ],
    rows,
  );
}
