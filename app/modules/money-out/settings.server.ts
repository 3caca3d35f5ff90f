// The admin-set cap on one reversal (a row in money_out_settings; the default until an admin sets
// one). Every change is in the staff audit.
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { moneyOutSettings } from "../../../db/schema";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { DEFAULT_REVERSAL_CAP_KES } from "./eligibility";

export async function getReversalCap(db: Db): Promise<number> {
  const [row] = await db
    .select({ cap: moneyOutSettings.reversalCapKes })
    .from(moneyOutSettings)
    .where(eq(moneyOutSettings.id, 1));
  return row?.cap ?? DEFAULT_REVERSAL_CAP_KES;
}

export const ReversalCapSchema = z.object({
  capKes: z.coerce
    .number({ message: "a whole number of shillings" })
    .int("a whole number of shillings")
    .min(1, "at least KES 1")
    .max(250_000, "at most KES 250,000 (M-Pesa's limit per transaction)"),
});

export async function setReversalCap(
  db: Db,
  actor: Actor & { kind: "user" },
  { capKes }: z.output<typeof ReversalCapSchema>,
) {
  const before = await getReversalCap(db);
  await db
    .insert(moneyOutSettings)
    .values({ id: 1, reversalCapKes: capKes, updatedByUserId: actor.userId })
    .onConflictDoUpdate({
      target: moneyOutSettings.id,
      set: { reversalCapKes: capKes, updatedByUserId: actor.userId, updatedAt: new Date() },
    });
  await recordStaffAction(db, actor, {
    action: "settings.reversal_cap",
    entityType: "settings",
    entityId: "reversal_cap_kes",
    before: { capKes: before },
    after: { capKes },
  });
  return capKes;
}
