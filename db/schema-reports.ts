// The reporting rollup behind the dashboard and the payment counts (docs/decisions/002-dashboard-aggregates.md),
// kept exact by the payments triggers (migrations 0004 and 0031). Re-exported by db/schema.ts.
import {
  bigint,
  bigserial,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

const money = (name: string) => bigint(name, { mode: "number" });

/**
 * Payments counted per East Africa Time hour, kept by a trigger on payments: basis `created` by
 * created_at with status and result code, basis `paid` by paid_at for paid ones. The key is EAT
 * wall-clock (timestamp without zone, the one exception to "UTC in the database"): Nairobi has no
 * daylight saving, so an EAT hour is exactly one UTC hour, and reports group by EAT day without
 * converting every row. The triggers (per statement, migration 0031) append to payment_stat_deltas (no
 * hot rows); readers fold them in.
 */
export const paymentStats = pgTable(
  "payment_stats",
  {
    eatHour: timestamp("eat_hour", { withTimezone: false, mode: "string" }).notNull(),
    basis: text("basis").notNull(), // created | paid
    status: text("status").notNull(),
    resultCode: text("result_code").notNull().default(""),
    payments: integer("payments").notNull(),
    amountKes: money("amount_kes").notNull(),
    /** M-Pesa's charges on the paid payments (basis paid; 0 otherwise), and how many had none known. */
    chargeKes: money("charge_kes").notNull().default(0),
    uncharged: integer("uncharged").notNull().default(0),
  },
  (t) => [
    primaryKey({
      name: "payment_stats_pkey",
      columns: [t.eatHour, t.basis, t.status, t.resultCode],
    }),
  ],
);

export const paymentStatDeltas = pgTable("payment_stat_deltas", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  eatHour: timestamp("eat_hour", { withTimezone: false, mode: "string" }).notNull(),
  basis: text("basis").notNull(),
  status: text("status").notNull(),
  resultCode: text("result_code").notNull().default(""),
  payments: integer("payments").notNull(), // +1 or -1
  amountKes: money("amount_kes").notNull(),
  chargeKes: money("charge_kes").notNull().default(0),
  uncharged: integer("uncharged").notNull().default(0), // +1 or -1 for a paid payment with no charge
});
