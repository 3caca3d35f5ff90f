ALTER TABLE "statement_imports" ADD COLUMN "state" text DEFAULT 'done' NOT NULL;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "file_size" bigint;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "lines_parsed" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "lines_stored" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "lines_matched" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "statement_imports_pending_idx" ON "statement_imports" USING btree ("imported_at") WHERE state in ('queued', 'storing', 'matching');--> statement-breakpoint
CREATE TABLE "statement_import_chunks" (
	"import_id" uuid NOT NULL REFERENCES "statement_imports"("id") ON DELETE CASCADE,
	"seq" integer NOT NULL,
	"data" bytea NOT NULL,
	PRIMARY KEY ("import_id", "seq")
);--> statement-breakpoint
ALTER TABLE "statement_lines" ADD COLUMN "party_phone" text;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD COLUMN "party_msisdn_raw" text;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD COLUMN "party_msisdn_kind" text;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD COLUMN "party_name" text;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD COLUMN "bill_ref_norm" text;
--> statement-breakpoint
CREATE UNLOGGED TABLE "statement_staging" (
	"import_id" uuid NOT NULL,
	"row_no" integer NOT NULL,
	"receipt" text,
	"transaction_status" text,
	"completed_at" timestamp with time zone,
	"initiated_at" timestamp with time zone,
	"direction" text,
	"paid_in_kes" bigint,
	"withdrawn_kes" bigint,
	"details" text,
	"reason_type" text,
	"other_party_info" text,
	"linked_transaction_id" text,
	"account_no" text,
	"match_state" text,
	"raw" jsonb,
	"party_phone" text,
	"party_msisdn_raw" text,
	"party_msisdn_kind" text,
	"party_name" text,
	"bill_ref_norm" text
);
