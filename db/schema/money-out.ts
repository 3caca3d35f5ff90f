// Money out and beyond: the requests we send to Daraja's initiator APIs (Transaction Status, Reversal,
// Account Balance), the balance snapshots their results leave, and the admin-set reversal cap.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, money, ts } from "./columns";
import { payments } from "./payments";
import { users } from "./staff";

export const DARAJA_REQUEST_KINDS = ["status", "reversal", "balance"] as const;
export type DarajaRequestKind = (typeof DARAJA_REQUEST_KINDS)[number];

/**
 * The moves between them are declared in app/modules/money-out/request-states.ts. `refused`: Daraja
 * answered the call with an error, so nothing entered M-Pesa's queue; `send_failed`: the call got no
 * usable answer, and M-Pesa may have taken it.
 */
export const DARAJA_REQUEST_STATES = [
  "awaiting_approval",
  "rejected",
  "sending",
  "sent",
  "send_failed",
  "completed",
  "failed",
  "timed_out",
  "unanswered",
  "refused",
] as const;
export type DarajaRequestState = (typeof DARAJA_REQUEST_STATES)[number];

export const darajaRequests = pgTable(
  "daraja_requests",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").$type<DarajaRequestKind>().notNull(),
    state: text("state").$type<DarajaRequestState>().notNull(),
    paymentId: uuid("payment_id").references(() => payments.id),
    receipt: text("receipt"),
    amountKes: money("amount_kes"),
    reason: text("reason"),
    /** Ours, generated and stored before the request leaves (docs/daraja.md#initiator-apis). */
    originatorConversationId: text("originator_conversation_id").notNull().unique(),
    conversationId: text("conversation_id"),
    requestedByUserId: uuid("requested_by_user_id").references(() => users.id),
    requestedByLabel: text("requested_by_label").notNull(),
    approvedByUserId: uuid("approved_by_user_id").references(() => users.id),
    decidedAt: ts("decided_at"),
    decisionNote: text("decision_note"),
    sentAt: ts("sent_at"),
    sendError: text("send_error"),
    resultCode: text("result_code"),
    resultDesc: text("result_desc"),
    resultRawCallbackId: bigint("result_raw_callback_id", { mode: "number" }),
    result: jsonb("result"),
    completedAt: ts("completed_at"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    check("daraja_requests_kind_check", sql`${t.kind} in ('status','reversal','balance')`),
    check(
      "daraja_requests_state_check",
      sql`${t.state} in ('awaiting_approval','rejected','sending','sent','send_failed','completed','failed','timed_out','unanswered','refused')`,
    ),
    check("daraja_requests_amount_check", sql`${t.amountKes} is null or ${t.amountKes} > 0`),
    // One live reversal per receipt: a late success of one that timed out or failed to send is
    // recorded even while the reversal asked after it is live (migration 0019).
    uniqueIndex("daraja_requests_one_live_reversal_key")
      .on(t.receipt)
      .where(sql`kind = 'reversal' and state in ('awaiting_approval','sending','sent')`),
    index("daraja_requests_payment_idx").on(t.paymentId, t.createdAt),
    index("daraja_requests_conversation_idx").on(t.conversationId),
    index("daraja_requests_kind_created_idx").on(t.kind, t.createdAt),
  ],
);

/** One account line of an Account Balance result, in cents (balances carry cents). */
export type BalanceAccount = {
  name: string;
  currency: string;
  amountCents: number;
  availableCents: number | null;
};

export const balanceSnapshots = pgTable(
  "balance_snapshots",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    requestId: uuid("request_id")
      .notNull()
      .unique()
      .references(() => darajaRequests.id),
    takenAt: ts("taken_at").notNull(),
    accounts: jsonb("accounts").$type<BalanceAccount[]>().notNull(),
    utilityCents: bigint("utility_cents", { mode: "number" }),
    rawCallbackId: bigint("raw_callback_id", { mode: "number" }),
    createdAt: createdAt(),
  },
  (t) => [index("balance_snapshots_taken_idx").on(t.takenAt)],
);

export const moneyOutSettings = pgTable(
  "money_out_settings",
  {
    id: integer("id").primaryKey().default(1),
    reversalCapKes: money("reversal_cap_kes").notNull(),
    updatedByUserId: uuid("updated_by_user_id").references(() => users.id),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    check("money_out_settings_singleton", sql`${t.id} = 1`),
    check("money_out_settings_cap_check", sql`${t.reversalCapKes} between 1 and 250000`),
  ],
);

export type DarajaRequest = typeof darajaRequests.$inferSelect;
export type NewDarajaRequest = typeof darajaRequests.$inferInsert;
export type BalanceSnapshot = typeof balanceSnapshots.$inferSelect;
