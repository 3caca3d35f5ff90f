// Tariff versions: listing them (anyone who reads reports) and adding one (admins, in the staff audit).
// A version is never edited: a new one with its own effective date replaces it from then on, and
// receipts already recorded keep the charge they were priced with (ledger/charges.server.ts).
import { asc, desc, inArray, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { tariffBands, tariffVersions, TXN_TYPES } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { emptyBands, type BandsByType, type TariffVersionInput } from "./bands";

export type TariffVersionView = {
  id: string;
  effectiveFrom: string;
  label: string;
  createdAt: string;
  /** in_force: applies to money received now; scheduled: from a later time; past: replaced. */
  state: "in_force" | "scheduled" | "past";
  bands: BandsByType;
  /** Receipts priced with this version. */
  receipts: number;
};

/** Every version, newest effective date first, with its bands and how many receipts it priced. */
export async function listTariffVersions(db: Db, now: Date): Promise<TariffVersionView[]> {
  const versions = await db
    .select()
    .from(tariffVersions)
    .orderBy(desc(tariffVersions.effectiveFrom));
  if (versions.length === 0) return [];
  const ids = versions.map((v) => v.id);
  const [bands, priced] = await Promise.all([
    db
      .select()
      .from(tariffBands)
      .where(inArray(tariffBands.versionId, ids))
      .orderBy(asc(tariffBands.txnType), asc(tariffBands.minKes)),
    db.execute(
      sql`select tariff_version_id as id, count(*)::int as n from receipts where tariff_version_id is not null group by 1`,
    ),
  ]);
  const counts = new Map(rowsOf<{ id: string; n: number }>(priced).map((r) => [r.id, Number(r.n)]));
  const inForce = versions.find((v) => v.effectiveFrom <= now)?.id;
  return versions.map((v) => {
    const byType = emptyBands();
    for (const b of bands.filter((b) => b.versionId === v.id))
      byType[b.txnType].push({ minKes: b.minKes, maxKes: b.maxKes, chargeKes: b.chargeKes });
    return {
      id: v.id,
      effectiveFrom: v.effectiveFrom.toISOString(),
      label: v.label,
      createdAt: v.createdAt.toISOString(),
      state: v.id === inForce ? "in_force" : v.effectiveFrom > now ? "scheduled" : "past",
      bands: byType,
      receipts: counts.get(v.id) ?? 0,
    };
  });
}

/** Saves a checked version and its bands, and the staff audit entry, in one transaction. */
export async function saveTariffVersion(
  db: Db,
  actor: Actor,
  input: TariffVersionInput,
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    // Two admins choosing the same effective time: the unique key decides, the second is told.
    const [version] = await tx
      .insert(tariffVersions)
      .values({
        effectiveFrom: input.effectiveFrom,
        label: input.label,
        createdByUserId: actor.kind === "user" ? actor.userId : null,
      })
      .onConflictDoNothing()
      .returning();
    if (!version)
      throw new AppError(
        "tariff_exists",
        "A tariff version already starts at that time. Choose another effective time.",
        { status: 409, field: "effectiveFrom" },
      );
    const rows = TXN_TYPES.flatMap((txnType) =>
      input[txnType].map((b) => ({ versionId: version.id, txnType, ...b })),
    );
    if (rows.length) await tx.insert(tariffBands).values(rows);
    await recordStaffAction(tx, actor, {
      action: "tariff.version_added",
      entityType: "tariff_version",
      entityId: version.id,
      after: {
        effectiveFrom: input.effectiveFrom.toISOString(),
        label: input.label,
        paybill: input.paybill,
        buy_goods: input.buy_goods,
      },
    });
    return { id: version.id };
  });
}

/** The admin's new version (the route parses the form with TariffVersionFormSchema), saved. */
export async function addTariffVersion(
  db: Db,
  actor: Actor,
  input: TariffVersionInput,
): Promise<{ id: string; input: TariffVersionInput }> {
  const { id } = await saveTariffVersion(db, actor, input);
  return { id, input };
}
