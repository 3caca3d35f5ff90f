// M-Pesa's tariff: what M-Pesa charges the merchant on money received, by transaction type and amount
// band, in versions each in force from its effective date (migration 0013; docs/daraja.md). Versions
// and bands are append-only: a change is a new version, and receipts keep the charge they were given.
import { sql } from "drizzle-orm";
import { check, integer, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { users } from "./staff";

/** Paybill (STK CustomerPayBillOnline, C2B "Pay Bill") or till (CustomerBuyGoodsOnline, "Buy Goods"). */
export const TXN_TYPES = ["paybill", "buy_goods"] as const;
export type TxnType = (typeof TXN_TYPES)[number];

export const tariffVersions = pgTable("tariff_versions", {
  id: uuid("id").primaryKey().defaultRandom(),
  effectiveFrom: ts("effective_from").notNull().unique("tariff_versions_effective_from_key"),
  label: text("label").notNull(),
  createdByUserId: uuid("created_by_user_id").references(() => users.id),
  createdAt: createdAt(),
});

export const tariffBands = pgTable(
  "tariff_bands",
  {
    versionId: uuid("version_id")
      .notNull()
      .references(() => tariffVersions.id),
    txnType: text("txn_type").$type<TxnType>().notNull(),
    minKes: integer("min_kes").notNull(),
    maxKes: integer("max_kes").notNull(),
    chargeKes: integer("charge_kes").notNull(),
  },
  (t) => [
    primaryKey({ name: "tariff_bands_pkey", columns: [t.versionId, t.txnType, t.minKes] }),
    check("tariff_bands_txn_type_check", sql`${t.txnType} in ('paybill', 'buy_goods')`),
    check(
      "tariff_bands_amounts_check",
      sql`${t.minKes} >= 0 and ${t.maxKes} >= ${t.minKes} and ${t.chargeKes} >= 0`,
    ),
  ],
);

export type TariffVersion = typeof tariffVersions.$inferSelect;
export type TariffBand = typeof tariffBands.$inferSelect;
