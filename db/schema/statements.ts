// M-PESA statement imports, their lines and the reconciliation days.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { bytea, money, ts } from "./columns";
import { users } from "./staff";

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
    /** The header's column names, in the order of each line's raw cells (null before migration 0024). */
    columns: jsonb("columns").$type<string[]>(),
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
    /** Runs that failed for a reason of ours; the job gives up on a store after MAX_STORE_TRIES. */
    failedTries: integer("failed_tries").notNull().default(0),
    claimedBy: text("claimed_by"),
    claimedAt: ts("claimed_at"),
    /** Set by each claim: every write of the run names it, so a run that lost its lease changes nothing. */
    claimToken: uuid("claim_token"),
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
    // Stored uncompressed (STORAGE EXTERNAL, migration 0020): a chunk lives only until its import ends.
    data: bytea("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.seq] })],
);

export const statementLines = pgTable(
  "statement_lines",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    // import_id, payment_id and proposed_payment_id are checked by triggers, once per statement, not
    // by foreign keys (migration 0030: a foreign key looked up and locked a row for every line stored).
    importId: uuid("import_id").notNull(),
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
    paymentId: uuid("payment_id"),
    proposedPaymentId: uuid("proposed_payment_id"),
    // The row's cells as evidence: { row, cells: [...] } in the order of the import's columns (cells
    // keyed by column name before migration 0024; statement-cells.server.ts reads both).
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
    // Matching reads an import's lines not matched yet, a few times per import (migration 0032).
    index("statement_lines_new_idx")
      .on(t.importId, t.id)
      .where(sql`match_state = 'new'`),
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
export const statementStaging = pgTable(
  "statement_staging",
  {
    importId: uuid("import_id").notNull(),
    rowNo: integer("row_no").notNull(),
    /** The statement line's id, taken from its sequence as COPY reads the row (file order). */
    lineId: bigint("line_id", { mode: "number" })
      .notNull()
      .default(sql`nextval('statement_lines_id_seq')`),
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
  },
  (t) => [index("statement_staging_import_idx").on(t.importId, t.lineId)],
);

export const reconciliationDays = pgTable("reconciliation_days", {
  day: date("day", { mode: "string" }).primaryKey(), // an EAT calendar day
  signedOffByUserId: uuid("signed_off_by_user_id").references(() => users.id),
  signedOffAt: ts("signed_off_at"),
  note: text("note"),
  figures: jsonb("figures"),
});
