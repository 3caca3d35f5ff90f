// Payments, their STK attempts, receipts (one receipt is one sum of money), the raw callback log
// and the payment timeline.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { bytea, createdAt, money, ts } from "./columns";
import { users, apiKeys } from "./staff";
import { tariffVersions, type TxnType } from "./tariffs";

// ---------------------------------------------------------------- payments

export const PAYMENT_STATUSES = [
  "initiating",
  "pending",
  "paid",
  "failed",
  "cancelled",
  "expired",
  "unknown",
  "refunded",
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const payments = pgTable(
  "payments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderRef: text("order_ref").notNull(),
    amountKes: money("amount_kes").notNull(),
    phone: text("phone").notNull(),
    description: text("description").notNull(),
    accountReference: text("account_reference").notNull(),
    status: text("status").$type<PaymentStatus>().notNull(),
    statusReason: text("status_reason"),
    resultCode: text("result_code"),
    receipt: text("receipt"),
    receiptPending: boolean("receipt_pending").notNull().default(false),
    requestedByUserId: uuid("requested_by_user_id").references(() => users.id),
    requestedByApiKeyId: uuid("requested_by_api_key_id").references(() => apiKeys.id),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    paidAt: ts("paid_at"), // when M-Pesa took the money (TransactionDate / statement time)
    paidRecordedAt: ts("paid_recorded_at"), // when we recorded it as paid (a callback, a decision)
    finalAt: ts("final_at"),
    /** M-Pesa's charge on the payment's receipt, copied from it when attached (null: none known). */
    chargeKes: integer("charge_kes"),
  },
  (t) => [
    // One open prompt per order: the database settles two agents racing for the same order.
    check("payments_amount_check", sql`${t.amountKes} between 1 and 250000`),
    check(
      "payments_status_check",
      sql`${t.status} in ('initiating','pending','paid','failed','cancelled','expired','unknown','refunded')`,
    ),
    uniqueIndex("payments_open_order_key")
      .on(t.orderRef)
      .where(sql`status in ('initiating','pending')`),
    index("payments_order_idx").on(t.orderRef),
    index("payments_created_idx").on(t.createdAt, t.id),
    index("payments_status_created_idx").on(t.status, t.createdAt, t.id),
    index("payments_phone_idx").on(t.phone, t.createdAt),
    index("payments_receipt_idx").on(t.receipt),
    index("payments_account_reference_idx").on(t.accountReference),
    index("payments_paid_at_idx")
      .on(t.paidAt)
      .where(sql`paid_at is not null`),
    // The console's "largest first" sort pages by (amount, id) without sorting a month of rows.
    index("payments_amount_idx").on(t.amountKes, t.id),
  ],
);

export const ATTEMPT_STATUSES = [
  "initiating",
  "pending",
  "paid",
  "failed",
  "cancelled",
  "expired",
  "unknown",
] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const stkAttempts = pgTable(
  "stk_attempts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id),
    seq: integer("seq").notNull(),
    phone: text("phone").notNull(),
    amountKes: money("amount_kes").notNull(),
    status: text("status").$type<AttemptStatus>().notNull(),
    merchantRequestId: text("merchant_request_id"),
    checkoutRequestId: text("checkout_request_id").unique(),
    requestBody: jsonb("request_body"), // what we sent, without the Password
    responseBody: jsonb("response_body"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    resultCode: text("result_code"),
    resultDesc: text("result_desc"),
    receipt: text("receipt"),
    callbackAt: ts("callback_at"),
    reason: text("reason"), // why a person re-sent the prompt
    requestedByUserId: uuid("requested_by_user_id").references(() => users.id),
    // poller bookkeeping (docs/daraja.md#stk-query): when to ask next, how often we asked, what we
    // heard, who holds it
    nextPollAt: ts("next_poll_at"),
    pollCount: integer("poll_count").notNull().default(0),
    lastPolledAt: ts("last_polled_at"),
    lastPollAnswer: text("last_poll_answer"),
    pollClaimedBy: text("poll_claimed_by"),
    pollClaimedUntil: ts("poll_claimed_until"),
    // Seconds the whole poller was paused by an M-Pesa outage while this attempt was being polled:
    // its give-up time moves that much later (migration 0027, poll-rate.server.ts).
    pollOutageS: integer("poll_outage_s").notNull().default(0),
    sourceUntrustedSuccess: boolean("source_untrusted_success").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    check(
      "stk_attempts_status_check",
      sql`${t.status} in ('initiating','pending','paid','failed','cancelled','expired','unknown')`,
    ),
    uniqueIndex("stk_attempts_payment_seq_key").on(t.paymentId, t.seq),
    index("stk_attempts_due_idx")
      .on(t.nextPollAt)
      .where(sql`next_poll_at is not null`),
    index("stk_attempts_phone_created_idx").on(t.phone, t.createdAt),
    // Pushes cut off mid-way, found by every poller sweep (migration 0018).
    index("stk_attempts_initiating_idx")
      .on(t.createdAt)
      .where(sql`status = 'initiating' and checkout_request_id is null`),
    // Global search finds a payment from the MerchantRequestID a customer or Safaricom quotes.
    index("stk_attempts_merchant_request_idx").on(t.merchantRequestId),
  ],
);

/** One receipt is one sum of money, however many callbacks, confirmations or statement lines describe it. */
export const receipts = pgTable(
  "receipts",
  {
    receipt: text("receipt").primaryKey(),
    amountKes: money("amount_kes").notNull(),
    paymentId: uuid("payment_id").references(() => payments.id),
    attemptId: uuid("attempt_id").references(() => stkAttempts.id),
    phone: text("phone"),
    transactionAt: ts("transaction_at"),
    firstSource: text("first_source").notNull(), // stk_callback | c2b | statement | manual
    seenInCallback: boolean("seen_in_callback").notNull().default(false),
    seenInC2b: boolean("seen_in_c2b").notNull().default(false),
    // Whether a statement showed it is read from statement_lines (payments/queries.server.ts), not kept
    // here: an import rewrote every receipt it showed (the column went in migration 0022).
    billRefRaw: text("bill_ref_raw"),
    billRefNorm: text("bill_ref_norm"),
    msisdnRaw: text("msisdn_raw"),
    msisdnKind: text("msisdn_kind"),
    payerName: text("payer_name"),
    reversedByReceipt: text("reversed_by_receipt"),
    /** Which kind of payer number the first callback about it carried (full/masked/absent). */
    phoneKind: text("phone_kind").$type<PhoneKind>(),
    /** Paybill or till money (null: no witness said); with the amount and time it picks the tariff band. */
    txnType: text("txn_type").$type<TxnType>(),
    /** M-Pesa's charge, computed once when the receipt was recorded (null: no tariff covered it). */
    chargeKes: integer("charge_kes"),
    tariffVersionId: uuid("tariff_version_id").references(() => tariffVersions.id),
    createdAt: createdAt(),
  },
  (t) => [
    check("receipts_amount_check", sql`${t.amountKes} >= 0`),
    check("receipts_phone_kind_check", sql`${t.phoneKind} in ('full', 'masked', 'absent')`),
    check("receipts_txn_type_check", sql`${t.txnType} in ('paybill', 'buy_goods')`),
    index("receipts_payment_idx").on(t.paymentId),
    index("receipts_bill_ref_idx").on(t.billRefNorm),
  ],
);

/** A payer number as a callback carried it: whole, masked (or hashed), or not at all. */
export const PHONE_KINDS = ["full", "masked", "absent"] as const;
export type PhoneKind = (typeof PHONE_KINDS)[number];

export const CALLBACK_OUTCOMES = [
  "received",
  "applied",
  "duplicate",
  "conflict",
  "orphan",
  "invalid",
  "rejected",
  "refused",
] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

export const rawCallbacks = pgTable(
  "raw_callbacks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(), // stk | c2b_confirmation | c2b_validation
    receivedAt: ts("received_at").notNull().defaultNow(),
    sourceIp: text("source_ip"),
    sourceTrusted: boolean("source_trusted"),
    headers: jsonb("headers").notNull(),
    body: bytea("body").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    tokenValid: boolean("token_valid").notNull(),
    outcome: text("outcome").$type<CallbackOutcome>().notNull().default("received"),
    outcomeDetail: text("outcome_detail"),
    processedAt: ts("processed_at"),
    checkoutRequestId: text("checkout_request_id"),
    merchantRequestId: text("merchant_request_id"),
    receipt: text("receipt"),
    attemptId: uuid("attempt_id"),
    paymentId: uuid("payment_id"),
    /** Which kind of payer number the body carried (full/masked/absent); null if unread. */
    phoneKind: text("phone_kind").$type<PhoneKind>(),
    /** Initiator API results: the ConversationID (or our OriginatorConversationID) they carried. */
    conversationId: text("conversation_id"),
  },
  (t) => [
    check("raw_callbacks_phone_kind_check", sql`${t.phoneKind} in ('full', 'masked', 'absent')`),
    index("raw_callbacks_received_idx").on(t.receivedAt, t.id),
    index("raw_callbacks_outcome_idx").on(t.outcome, t.receivedAt),
    index("raw_callbacks_checkout_idx").on(t.checkoutRequestId),
    index("raw_callbacks_payment_idx").on(t.paymentId),
    index("raw_callbacks_receipt_idx").on(t.receipt),
    index("raw_callbacks_merchant_idx").on(t.merchantRequestId),
    index("raw_callbacks_conversation_idx").on(t.conversationId),
    index("raw_callbacks_to_apply_idx")
      .on(t.id)
      .where(sql`${t.outcome} = 'received'`),
  ],
);

export const paymentEvents = pgTable(
  "payment_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id),
    attemptId: uuid("attempt_id"),
    type: text("type").notNull(),
    actorType: text("actor_type").notNull(), // system | user | api_key | daraja | poller
    actorUserId: uuid("actor_user_id"),
    actorLabel: text("actor_label"),
    summary: text("summary").notNull(),
    data: jsonb("data"),
    rawCallbackId: bigint("raw_callback_id", { mode: "number" }),
    createdAt: createdAt(),
  },
  (t) => [index("payment_events_payment_idx").on(t.paymentId, t.id)],
);
