-- Money out and beyond (issue 15): the requests we send to Daraja's initiator APIs (Transaction
-- Status, Reversal, Account Balance), each stored before it leaves with our own originator id; the
-- four-eyes state of a reversal; the balance snapshots; the admin-set reversal cap. A raw callback
-- also remembers the ConversationID / OriginatorConversationID it carried, found at intake.
CREATE TABLE "daraja_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"payment_id" uuid REFERENCES "payments"("id"),
	"receipt" text,
	"amount_kes" bigint,
	"reason" text,
	"originator_conversation_id" text NOT NULL UNIQUE,
	"conversation_id" text,
	"requested_by_user_id" uuid REFERENCES "users"("id"),
	"requested_by_label" text NOT NULL,
	"approved_by_user_id" uuid REFERENCES "users"("id"),
	"decided_at" timestamp with time zone,
	"decision_note" text,
	"sent_at" timestamp with time zone,
	"send_error" text,
	"result_code" text,
	"result_desc" text,
	"result_raw_callback_id" bigint,
	"result" jsonb,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "daraja_requests_kind_check" CHECK ("kind" in ('status','reversal','balance')),
	CONSTRAINT "daraja_requests_state_check" CHECK ("state" in ('awaiting_approval','rejected','sending','sent','send_failed','completed','failed','timed_out')),
	CONSTRAINT "daraja_requests_amount_check" CHECK ("amount_kes" is null or "amount_kes" > 0)
);
--> statement-breakpoint
-- One live reversal per receipt: two finance users cannot both start one, and a reversed receipt is not reversed again.
CREATE UNIQUE INDEX "daraja_requests_one_reversal_key" ON "daraja_requests" USING btree ("receipt") WHERE "kind" = 'reversal' and "state" in ('awaiting_approval','sending','sent','completed');
--> statement-breakpoint
CREATE INDEX "daraja_requests_payment_idx" ON "daraja_requests" USING btree ("payment_id","created_at");
--> statement-breakpoint
CREATE INDEX "daraja_requests_conversation_idx" ON "daraja_requests" USING btree ("conversation_id");
--> statement-breakpoint
CREATE INDEX "daraja_requests_kind_created_idx" ON "daraja_requests" USING btree ("kind","created_at");
--> statement-breakpoint
CREATE TABLE "balance_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"request_id" uuid NOT NULL UNIQUE REFERENCES "daraja_requests"("id"),
	"taken_at" timestamp with time zone NOT NULL,
	"accounts" jsonb NOT NULL,
	"utility_cents" bigint,
	"raw_callback_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "balance_snapshots_taken_idx" ON "balance_snapshots" USING btree ("taken_at");
--> statement-breakpoint
CREATE TABLE "money_out_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"reversal_cap_kes" bigint NOT NULL,
	"updated_by_user_id" uuid REFERENCES "users"("id"),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "money_out_settings_singleton" CHECK ("id" = 1),
	CONSTRAINT "money_out_settings_cap_check" CHECK ("reversal_cap_kes" between 1 and 250000)
);
--> statement-breakpoint
ALTER TABLE "raw_callbacks" ADD COLUMN "conversation_id" text;
--> statement-breakpoint
CREATE INDEX "raw_callbacks_conversation_idx" ON "raw_callbacks" USING btree ("conversation_id");
