CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_role_check" CHECK ("api_keys"."role" in ('admin','finance','support','manager'))
);
--> statement-breakpoint
CREATE TABLE "daraja_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"endpoint" text NOT NULL,
	"http_status" integer,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"daraja_request_id" text,
	"error_code" text,
	"message" text,
	"masked_phone" text,
	"checkout_request_id" text,
	"payment_id" uuid,
	"attempt_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "daraja_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"access_token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exceptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"dedupe_key" text NOT NULL,
	"payment_id" uuid,
	"attempt_id" uuid,
	"raw_callback_id" bigint,
	"statement_line_id" bigint,
	"receipt" text,
	"amount_at_stake_kes" bigint DEFAULT 0 NOT NULL,
	"summary" text NOT NULL,
	"details" jsonb,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"proposed_resolution" text,
	"proposed_data" jsonb,
	"proposed_by_user_id" uuid,
	"proposed_at" timestamp with time zone,
	"resolution" text,
	"resolution_note" text,
	"resolved_by_user_id" uuid,
	"approved_by_user_id" uuid,
	"resolved_at" timestamp with time zone,
	"reopen_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "exceptions_dedupe_key_unique" UNIQUE("dedupe_key"),
	CONSTRAINT "exceptions_status_check" CHECK ("exceptions"."status" in ('open','awaiting_approval','resolved'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"payment_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_leases" (
	"key" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"backoff_until" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"ip" text NOT NULL,
	"succeeded" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"payment_id" uuid NOT NULL,
	"attempt_id" uuid,
	"type" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_user_id" uuid,
	"actor_label" text,
	"summary" text NOT NULL,
	"data" jsonb,
	"raw_callback_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_ref" text NOT NULL,
	"amount_kes" bigint NOT NULL,
	"phone" text NOT NULL,
	"description" text NOT NULL,
	"account_reference" text NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"result_code" text,
	"receipt" text,
	"receipt_pending" boolean DEFAULT false NOT NULL,
	"requested_by_user_id" uuid,
	"requested_by_api_key_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"paid_at" timestamp with time zone,
	"final_at" timestamp with time zone,
	CONSTRAINT "payments_amount_check" CHECK ("payments"."amount_kes" between 1 and 250000),
	CONSTRAINT "payments_status_check" CHECK ("payments"."status" in ('initiating','pending','paid','failed','cancelled','expired','unknown','refunded'))
);
--> statement-breakpoint
CREATE TABLE "poller_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"instance" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"due" integer DEFAULT 0 NOT NULL,
	"queried" integer DEFAULT 0 NOT NULL,
	"changed" integer DEFAULT 0 NOT NULL,
	"errors" integer DEFAULT 0 NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "raw_callbacks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source_ip" text,
	"source_trusted" boolean,
	"headers" jsonb NOT NULL,
	"body" "bytea" NOT NULL,
	"size_bytes" integer NOT NULL,
	"token_valid" boolean NOT NULL,
	"outcome" text DEFAULT 'received' NOT NULL,
	"outcome_detail" text,
	"processed_at" timestamp with time zone,
	"checkout_request_id" text,
	"receipt" text,
	"attempt_id" uuid,
	"payment_id" uuid
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"receipt" text PRIMARY KEY NOT NULL,
	"amount_kes" bigint NOT NULL,
	"payment_id" uuid,
	"attempt_id" uuid,
	"phone" text,
	"transaction_at" timestamp with time zone,
	"first_source" text NOT NULL,
	"seen_in_callback" boolean DEFAULT false NOT NULL,
	"seen_in_c2b" boolean DEFAULT false NOT NULL,
	"seen_in_statement" boolean DEFAULT false NOT NULL,
	"bill_ref_raw" text,
	"bill_ref_norm" text,
	"msisdn_raw" text,
	"msisdn_kind" text,
	"payer_name" text,
	"reversed_by_receipt" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "receipts_amount_check" CHECK ("receipts"."amount_kes" >= 0)
);
--> statement-breakpoint
CREATE TABLE "reconciliation_days" (
	"day" date PRIMARY KEY NOT NULL,
	"signed_off_by_user_id" uuid,
	"signed_off_at" timestamp with time zone,
	"note" text,
	"figures" jsonb
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"csrf_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ip" text,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "staff_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_user_id" uuid,
	"actor_api_key_id" uuid,
	"actor_label" text NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text,
	"before" jsonb,
	"after" jsonb,
	"note" text,
	"ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "statement_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"file_sha256" text NOT NULL,
	"file_name" text NOT NULL,
	"layout" text NOT NULL,
	"account_holder" text,
	"short_code" text,
	"account" text,
	"period_from" timestamp with time zone,
	"period_to" timestamp with time zone,
	"line_count" integer DEFAULT 0 NOT NULL,
	"new_line_count" integer DEFAULT 0 NOT NULL,
	"summary" jsonb,
	"imported_by_user_id" uuid,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "statement_imports_file_sha256_unique" UNIQUE("file_sha256")
);
--> statement-breakpoint
CREATE TABLE "statement_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"import_id" uuid NOT NULL,
	"receipt" text NOT NULL,
	"transaction_status" text NOT NULL,
	"completed_at" timestamp with time zone,
	"initiated_at" timestamp with time zone,
	"direction" text NOT NULL,
	"paid_in_kes" bigint NOT NULL,
	"withdrawn_kes" bigint NOT NULL,
	"details" text,
	"reason_type" text,
	"other_party_info" text,
	"linked_transaction_id" text,
	"account_no" text,
	"match_state" text NOT NULL,
	"payment_id" uuid,
	"proposed_payment_id" uuid,
	"raw" jsonb
);
--> statement-breakpoint
CREATE TABLE "stk_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payment_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"phone" text NOT NULL,
	"amount_kes" bigint NOT NULL,
	"status" text NOT NULL,
	"merchant_request_id" text,
	"checkout_request_id" text,
	"request_body" jsonb,
	"response_body" jsonb,
	"error_code" text,
	"error_message" text,
	"result_code" text,
	"result_desc" text,
	"receipt" text,
	"callback_at" timestamp with time zone,
	"reason" text,
	"requested_by_user_id" uuid,
	"next_poll_at" timestamp with time zone,
	"poll_count" integer DEFAULT 0 NOT NULL,
	"last_polled_at" timestamp with time zone,
	"last_poll_answer" text,
	"poll_claimed_by" text,
	"poll_claimed_until" timestamp with time zone,
	"source_untrusted_success" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stk_attempts_checkout_request_id_unique" UNIQUE("checkout_request_id"),
	CONSTRAINT "stk_attempts_status_check" CHECK ("stk_attempts"."status" in ('initiating','pending','paid','failed','cancelled','expired','unknown'))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"password_hash" text NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role_check" CHECK ("users"."role" in ('admin','finance','support','manager'))
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_attempt_id_stk_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."stk_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_proposed_by_user_id_users_id_fk" FOREIGN KEY ("proposed_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_resolved_by_user_id_users_id_fk" FOREIGN KEY ("resolved_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_approved_by_user_id_users_id_fk" FOREIGN KEY ("approved_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_requested_by_user_id_users_id_fk" FOREIGN KEY ("requested_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_requested_by_api_key_id_api_keys_id_fk" FOREIGN KEY ("requested_by_api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_attempt_id_stk_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "public"."stk_attempts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_days" ADD CONSTRAINT "reconciliation_days_signed_off_by_user_id_users_id_fk" FOREIGN KEY ("signed_off_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_audit" ADD CONSTRAINT "staff_audit_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_audit" ADD CONSTRAINT "staff_audit_actor_api_key_id_api_keys_id_fk" FOREIGN KEY ("actor_api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_imports" ADD CONSTRAINT "statement_imports_imported_by_user_id_users_id_fk" FOREIGN KEY ("imported_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD CONSTRAINT "statement_lines_import_id_statement_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."statement_imports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD CONSTRAINT "statement_lines_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_lines" ADD CONSTRAINT "statement_lines_proposed_payment_id_payments_id_fk" FOREIGN KEY ("proposed_payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stk_attempts" ADD CONSTRAINT "stk_attempts_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stk_attempts" ADD CONSTRAINT "stk_attempts_requested_by_user_id_users_id_fk" FOREIGN KEY ("requested_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "daraja_calls_attempt_idx" ON "daraja_calls" USING btree ("attempt_id");--> statement-breakpoint
CREATE INDEX "daraja_calls_created_idx" ON "daraja_calls" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "exceptions_status_type_idx" ON "exceptions" USING btree ("status","type","opened_at");--> statement-breakpoint
CREATE INDEX "exceptions_payment_idx" ON "exceptions" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "exceptions_opened_idx" ON "exceptions" USING btree ("opened_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "idempotency_keys_scope_key" ON "idempotency_keys" USING btree ("scope","key");--> statement-breakpoint
CREATE INDEX "login_attempts_email_idx" ON "login_attempts" USING btree ("email","created_at");--> statement-breakpoint
CREATE INDEX "login_attempts_ip_idx" ON "login_attempts" USING btree ("ip","created_at");--> statement-breakpoint
CREATE INDEX "payment_events_payment_idx" ON "payment_events" USING btree ("payment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_open_order_key" ON "payments" USING btree ("order_ref") WHERE status in ('initiating','pending');--> statement-breakpoint
CREATE INDEX "payments_order_idx" ON "payments" USING btree ("order_ref");--> statement-breakpoint
CREATE INDEX "payments_created_idx" ON "payments" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "payments_status_created_idx" ON "payments" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "payments_phone_idx" ON "payments" USING btree ("phone","created_at");--> statement-breakpoint
CREATE INDEX "payments_receipt_idx" ON "payments" USING btree ("receipt");--> statement-breakpoint
CREATE INDEX "payments_paid_at_idx" ON "payments" USING btree ("paid_at") WHERE paid_at is not null;--> statement-breakpoint
CREATE INDEX "poller_runs_started_idx" ON "poller_runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "raw_callbacks_received_idx" ON "raw_callbacks" USING btree ("received_at","id");--> statement-breakpoint
CREATE INDEX "raw_callbacks_outcome_idx" ON "raw_callbacks" USING btree ("outcome","received_at");--> statement-breakpoint
CREATE INDEX "raw_callbacks_checkout_idx" ON "raw_callbacks" USING btree ("checkout_request_id");--> statement-breakpoint
CREATE INDEX "raw_callbacks_payment_idx" ON "raw_callbacks" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "receipts_payment_idx" ON "receipts" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "receipts_bill_ref_idx" ON "receipts" USING btree ("bill_ref_norm");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "staff_audit_created_idx" ON "staff_audit" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "staff_audit_entity_idx" ON "staff_audit" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "statement_lines_receipt_key" ON "statement_lines" USING btree ("receipt","transaction_status");--> statement-breakpoint
CREATE INDEX "statement_lines_import_idx" ON "statement_lines" USING btree ("import_id","id");--> statement-breakpoint
CREATE INDEX "statement_lines_completed_idx" ON "statement_lines" USING btree ("completed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "stk_attempts_payment_seq_key" ON "stk_attempts" USING btree ("payment_id","seq");--> statement-breakpoint
CREATE INDEX "stk_attempts_due_idx" ON "stk_attempts" USING btree ("next_poll_at") WHERE next_poll_at is not null;--> statement-breakpoint
CREATE INDEX "stk_attempts_phone_created_idx" ON "stk_attempts" USING btree ("phone","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree (lower("email"));