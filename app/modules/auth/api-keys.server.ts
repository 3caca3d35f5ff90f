// API keys for merchants' own systems: shown once at creation, stored as a sha256 (the key is 32
// random bytes, so a fast hash is enough), each with a role, revocable, last use recorded.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { apiKeys, ROLES, type ApiKey } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { parseWith } from "../../lib/validation";
import { recordStaffAction, type Actor } from "./staff-audit.server";

const KEY_PREFIX = "mck_"; // "merchant console key": recognisable in a leaked config file

export const CreateApiKeySchema = z.object({
  name: z.string().trim().min(1, "Give the key a name (e.g. the system that will use it).").max(80),
  role: z.enum(ROLES, { message: `Role must be one of ${ROLES.join(", ")}.` }),
});

export type PublicApiKey = Omit<ApiKey, "keyHash">;
const publicColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  role: apiKeys.role,
  prefix: apiKeys.prefix,
  createdByUserId: apiKeys.createdByUserId,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export async function createApiKey(
  db: Db,
  input: z.input<typeof CreateApiKeySchema>,
  actor: Actor,
): Promise<{ key: string; apiKey: PublicApiKey }> {
  const data = parseWith(CreateApiKeySchema, input);
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const [apiKey] = await db
    .insert(apiKeys)
    .values({
      name: data.name,
      role: data.role,
      prefix: key.slice(0, 12),
      keyHash: hashKey(key),
      createdByUserId: actor.kind === "user" ? actor.userId : null,
    })
    .returning(publicColumns);
  await recordStaffAction(db, actor, {
    action: "apikey.create",
    entityType: "api_key",
    entityId: apiKey.id,
    after: { name: apiKey.name, role: apiKey.role, prefix: apiKey.prefix },
  });
  return { key, apiKey };
}

export async function listApiKeys(db: Db): Promise<PublicApiKey[]> {
  return db.select(publicColumns).from(apiKeys).orderBy(desc(apiKeys.createdAt));
}

export async function revokeApiKey(db: Db, id: string, actor: Actor): Promise<void> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new AppError("not_found", "That key does not exist or is already revoked.", {
      status: 404,
    });
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning(publicColumns);
  if (!row)
    throw new AppError("not_found", "That key does not exist or is already revoked.", {
      status: 404,
    });
  await recordStaffAction(db, actor, {
    action: "apikey.revoke",
    entityType: "api_key",
    entityId: id,
    before: { revoked: false },
    after: { revoked: true },
  });
}

/** The key behind a Bearer header, or null when it is unknown or revoked. Records the time of use. */
export async function authenticateApiKey(
  db: Db,
  key: string,
  now: Date,
): Promise<PublicApiKey | null> {
  if (!key.startsWith(KEY_PREFIX)) return null;
  const [row] = await db
    .select(publicColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)));
  if (!row) return null;
  // Writing last_used_at on every request would turn reads into writes; once a minute is plenty.
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, row.id), sql`true`));
  }
  return row;
}
