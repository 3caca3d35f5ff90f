// Exceptions: the reconciliation queue.
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { money, ts } from "./columns";
import { users } from "./staff";
import { payments, stkAttempts } from "./payments";

// ---------------------------------------------------------------- exceptions (the reconciliation queue)

export const EXCEPTION_TYPES = [
  "amount_mismatch",
  "orphan_callback",
  "conflicting_callback",
  "late_success",
  "duplicate_receipt",
  "double_payment",
  "unknown_outcome",
  "query_disagrees",
  "time_mismatch",
  "statement_only",
  "missing_from_statement",
  "unmatched_c2b",
  "balance_mismatch",
  "partial_reversal",
  "statement_conflict",
] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];
export const EXCEPTION_STATUSES = ["open", "awaiting_approval", "resolved"] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

export const exceptions = pgTable(
  "exceptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    type: text("type").$type<ExceptionType>().notNull(),
    status: text("status").$type<ExceptionStatus>().notNull().default("open"),
    dedupeKey: text("dedupe_key").notNull().unique(), // the same fact seen twice opens one exception
    paymentId: uuid("payment_id").references(() => payments.id),
    attemptId: uuid("attempt_id").references(() => stkAttempts.id),
    rawCallbackId: bigint("raw_callback_id", { mode: "number" }),
    statementLineId: bigint("statement_line_id", { mode: "number" }),
    receipt: text("receipt"),
    amountAtStakeKes: money("amount_at_stake_kes").notNull().default(0),
    summary: text("summary").notNull(),
    details: jsonb("details"),
    openedAt: ts("opened_at").notNull().defaultNow(),
    proposedResolution: text("proposed_resolution"),
    proposedData: jsonb("proposed_data"),
    proposedByUserId: uuid("proposed_by_user_id").references(() => users.id),
    proposedAt: ts("proposed_at"),
    resolution: text("resolution"),
    resolutionNote: text("resolution_note"),
    resolvedByUserId: uuid("resolved_by_user_id").references(() => users.id),
    approvedByUserId: uuid("approved_by_user_id").references(() => users.id),
    resolvedAt: ts("resolved_at"),
    reopenCount: integer("reopen_count").notNull().default(0),
  },
  (t) => [
    check("exceptions_status_check", sql`${t.status} in ('open','awaiting_approval','resolved')`),
    index("exceptions_status_type_idx").on(t.status, t.type, t.openedAt),
    index("exceptions_payment_idx").on(t.paymentId),
    index("exceptions_opened_idx").on(t.openedAt, t.id),
    // A statement import's page and daily status look up the case each line opened.
    index("exceptions_statement_line_idx")
      .on(t.statementLineId)
      .where(sql`statement_line_id is not null`),
  ],
);
