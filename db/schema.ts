// The one schema both drivers (PGlite and postgres.js) run. Money is integer shillings (bigint read
// as JS number: the largest sums we hold are far below 2^53); every time is timestamptz (UTC).
// Append-only tables (staff_audit, raw_callbacks' bodies, payment_events) are guarded by triggers in
// the migrations, not only by convention.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const money = (name: string) => bigint(name, { mode: "number" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => ts("created_at").notNull().defaultNow();

/** Raw request bodies are kept byte for byte (a malformed callback may not even be valid UTF-8). */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) =>
    value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBufferLike),
});

export const ROLES = ["admin", "finance", "support", "manager"] as const;
export type Role = (typeof ROLES)[number];

// ---------------------------------------------------------------- staff, sessions, keys, audit

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role").$type<Role>().notNull(),
    passwordHash: text("password_hash").notNull(),
    disabledAt: ts("disabled_at"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(sql`lower(${t.email})`),
    check("users_role_check", sql`${t.role} in ('admin','finance','support','manager')`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(), // sha256 of the random token in the cookie: a database leak reveals no live session
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    createdAt: createdAt(),
    expiresAt: ts("expires_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

export const loginAttempts = pgTable(
  "login_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    email: text("email").notNull(),
    ip: text("ip").notNull(),
    succeeded: boolean("succeeded").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("login_attempts_email_idx").on(t.email, t.createdAt),
    index("login_attempts_ip_idx").on(t.ip, t.createdAt),
  ],
);

// Fixed-window counters shared by every instance: sign-ins per account and per address, wrong
// callback tokens per address, masked roles' phone searches. One atomic upsert per hit (migration 0008).
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    windowStartedAt: ts("window_started_at").notNull(),
    hits: integer("hits").notNull(),
  },
  (t) => [index("rate_limits_window_idx").on(t.windowStartedAt)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    role: text("role").$type<Role>().notNull(),
    prefix: text("prefix").notNull(), // the first characters, shown so people can tell keys apart
    keyHash: text("key_hash").notNull().unique(),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
    createdAt: createdAt(),
    revokedAt: ts("revoked_at"),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [check("api_keys_role_check", sql`${t.role} in ('admin','finance','support','manager')`)],
);

export const staffAudit = pgTable(
  "staff_audit",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    actorUserId: uuid("actor_user_id").references(() => users.id),
    actorApiKeyId: uuid("actor_api_key_id").references(() => apiKeys.id),
    actorLabel: text("actor_label").notNull(),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    note: text("note"),
    ip: text("ip"),
    createdAt: createdAt(),
  },
  (t) => [
    index("staff_audit_created_idx").on(t.createdAt),
    index("staff_audit_entity_idx").on(t.entityType, t.entityId),
  ],
);

export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    scope: text("scope").notNull(), // api key id or user id: one merchant's keys never collide with another's
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status"),
    responseBody: jsonb("response_body"),
    paymentId: uuid("payment_id"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("idempotency_keys_scope_key").on(t.scope, t.key)],
);

// ---------------------------------------------------------------- Daraja plumbing

export const darajaTokens = pgTable("daraja_tokens", {
  id: text("id").primaryKey(), // base URL + consumer key fingerprint: one token per Daraja app
  accessToken: text("access_token").notNull(),
  expiresAt: ts("expires_at").notNull(),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const darajaCalls = pgTable(
  "daraja_calls",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    endpoint: text("endpoint").notNull(), // oauth | push | query | c2b_register
    httpStatus: integer("http_status"),
    durationMs: integer("duration_ms").notNull(),
    outcome: text("outcome").notNull(),
    darajaRequestId: text("daraja_request_id"),
    errorCode: text("error_code"),
    message: text("message"),
    maskedPhone: text("masked_phone"),
    checkoutRequestId: text("checkout_request_id"),
    paymentId: uuid("payment_id"),
    attemptId: uuid("attempt_id"),
    createdAt: createdAt(),
  },
  (t) => [
    index("daraja_calls_attempt_idx").on(t.attemptId),
    index("daraja_calls_created_idx").on(t.createdAt),
  ],
);

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
    seenInStatement: boolean("seen_in_statement").notNull().default(false),
    billRefRaw: text("bill_ref_raw"),
    billRefNorm: text("bill_ref_norm"),
    msisdnRaw: text("msisdn_raw"),
    msisdnKind: text("msisdn_kind"),
    payerName: text("payer_name"),
    reversedByReceipt: text("reversed_by_receipt"),
    /** Which kind of payer number the first callback about it carried (full/masked/absent). */
    phoneKind: text("phone_kind").$type<PhoneKind>(),
    createdAt: createdAt(),
  },
  (t) => [
    check("receipts_amount_check", sql`${t.amountKes} >= 0`),
    check("receipts_phone_kind_check", sql`${t.phoneKind} in ('full', 'masked', 'absent')`),
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
  },
  (t) => [
    check("raw_callbacks_phone_kind_check", sql`${t.phoneKind} in ('full', 'masked', 'absent')`),
    index("raw_callbacks_received_idx").on(t.receivedAt, t.id),
    index("raw_callbacks_outcome_idx").on(t.outcome, t.receivedAt),
    index("raw_callbacks_checkout_idx").on(t.checkoutRequestId),
    index("raw_callbacks_payment_idx").on(t.paymentId),
    index("raw_callbacks_receipt_idx").on(t.receipt),
    index("raw_callbacks_merchant_idx").on(t.merchantRequestId),
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

// ---------------------------------------------------------------- jobs

export const jobLeases = pgTable("job_leases", {
  key: text("key").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: ts("expires_at").notNull(),
  backoffUntil: ts("backoff_until"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

export const pollerRuns = pgTable(
  "poller_runs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    instance: text("instance").notNull(),
    trigger: text("trigger").notNull(), // schedule | cli | console
    status: text("status").notNull(), // running | ok | failed | skipped
    startedAt: ts("started_at").notNull().defaultNow(),
    finishedAt: ts("finished_at"),
    due: integer("due").notNull().default(0),
    queried: integer("queried").notNull().default(0),
    changed: integer("changed").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    error: text("error"),
  },
  (t) => [index("poller_runs_started_idx").on(t.startedAt)],
);

// ---------------------------------------------------------------- statement reconciliation

export const statementImports = pgTable(
  "statement_imports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    fileSha256: text("file_sha256").notNull().unique(),
    fileName: text("file_name").notNull(),
    layout: text("layout").notNull(),
    accountHolder: text("account_holder"),
    shortCode: text("short_code"),
    account: text("account"),
    periodFrom: ts("period_from"),
    periodTo: ts("period_to"),
    lineCount: integer("line_count").notNull().default(0),
    newLineCount: integer("new_line_count").notNull().default(0),
    summary: jsonb("summary"),
    importedByUserId: uuid("imported_by_user_id").references(() => users.id),
    importedAt: ts("imported_at").notNull().defaultNow(),
    // The import as a job: uploading | queued | storing | matching | done | failed.
    state: text("state").notNull().default("done"),
    fileSize: bigint("file_size", { mode: "number" }),
    linesParsed: integer("lines_parsed").notNull().default(0),
    linesStored: integer("lines_stored").notNull().default(0),
    linesMatched: integer("lines_matched").notNull().default(0),
    error: text("error"),
    claimedBy: text("claimed_by"),
    claimedAt: ts("claimed_at"),
  },
  (t) => [
    index("statement_imports_pending_idx")
      .on(t.importedAt)
      .where(sql`state in ('queued', 'storing', 'matching')`),
  ],
);

/** The uploaded file, kept in the database until its import is done, so any instance can run (or resume) it. */
export const statementImportChunks = pgTable(
  "statement_import_chunks",
  {
    importId: uuid("import_id")
      .notNull()
      .references(() => statementImports.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    data: bytea("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.seq] })],
);

export const statementLines = pgTable(
  "statement_lines",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    importId: uuid("import_id")
      .notNull()
      .references(() => statementImports.id),
    receipt: text("receipt").notNull(),
    transactionStatus: text("transaction_status").notNull(),
    completedAt: ts("completed_at"),
    initiatedAt: ts("initiated_at"),
    direction: text("direction").notNull(), // in | out
    paidInKes: money("paid_in_kes").notNull(),
    withdrawnKes: money("withdrawn_kes").notNull(),
    details: text("details"),
    reasonType: text("reason_type"),
    otherPartyInfo: text("other_party_info"),
    linkedTransactionId: text("linked_transaction_id"),
    accountNo: text("account_no"),
    matchState: text("match_state").notNull(), // new (not matched yet) | matched | proposed | exception | reversal | skipped | unmatched
    paymentId: uuid("payment_id").references(() => payments.id),
    proposedPaymentId: uuid("proposed_payment_id").references(() => payments.id),
    raw: jsonb("raw"),
    // Other Party Info and A/C No. as matching reads them, parsed once while storing.
    partyPhone: text("party_phone"),
    partyMsisdnRaw: text("party_msisdn_raw"),
    partyMsisdnKind: text("party_msisdn_kind"),
    partyName: text("party_name"),
    billRefNorm: text("bill_ref_norm"),
  },
  (t) => [
    uniqueIndex("statement_lines_receipt_key").on(t.receipt, t.transactionStatus),
    index("statement_lines_import_idx").on(t.importId, t.id),
    index("statement_lines_completed_idx").on(t.completedAt),
    // Matching skips payments already proposed for another line; few lines are proposed at a time.
    index("statement_lines_proposed_idx")
      .on(t.proposedPaymentId)
      .where(sql`proposed_payment_id is not null`),
  ],
);

/**
 * Parsed statement rows on their way into statement_lines: COPY fills it in pieces, one
 * transaction moves an import's rows out. UNLOGGED in the migration: a crash loses only rows that are
 * staged again anyway.
 */
export const statementStaging = pgTable("statement_staging", {
  importId: uuid("import_id").notNull(),
  rowNo: integer("row_no").notNull(),
  receipt: text("receipt"),
  transactionStatus: text("transaction_status"),
  completedAt: ts("completed_at"),
  initiatedAt: ts("initiated_at"),
  direction: text("direction"),
  paidInKes: bigint("paid_in_kes", { mode: "number" }),
  withdrawnKes: bigint("withdrawn_kes", { mode: "number" }),
  details: text("details"),
  reasonType: text("reason_type"),
  otherPartyInfo: text("other_party_info"),
  linkedTransactionId: text("linked_transaction_id"),
  accountNo: text("account_no"),
  matchState: text("match_state"),
  raw: jsonb("raw"),
  partyPhone: text("party_phone"),
  partyMsisdnRaw: text("party_msisdn_raw"),
  partyMsisdnKind: text("party_msisdn_kind"),
  partyName: text("party_name"),
  billRefNorm: text("bill_ref_norm"),
});

export const reconciliationDays = pgTable("reconciliation_days", {
  day: date("day", { mode: "string" }).primaryKey(), // an EAT calendar day
  signedOffByUserId: uuid("signed_off_by_user_id").references(() => users.id),
  signedOffAt: ts("signed_off_at"),
  note: text("note"),
  figures: jsonb("figures"),
});

export type User = typeof users.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type NewPayment = typeof payments.$inferInsert;
export type StkAttempt = typeof stkAttempts.$inferSelect;
export type RawCallback = typeof rawCallbacks.$inferSelect;
export type PaymentEvent = typeof paymentEvents.$inferSelect;
export type PaymentException = typeof exceptions.$inferSelect;
export type Receipt = typeof receipts.$inferSelect;
export type PollerRun = typeof pollerRuns.$inferSelect;
export type StatementImport = typeof statementImports.$inferSelect;
export type StatementLine = typeof statementLines.$inferSelect;

// The reporting rollup lives beside this file (db/schema.ts past ~400 lines is split by concept).
export * from "./schema-reports";
