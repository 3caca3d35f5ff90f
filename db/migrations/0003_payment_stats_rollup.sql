CREATE TABLE "payment_stat_deltas" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"eat_hour" timestamp NOT NULL,
	"basis" text NOT NULL,
	"status" text NOT NULL,
	"result_code" text DEFAULT '' NOT NULL,
	"payments" integer NOT NULL,
	"amount_kes" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_stats" (
	"eat_hour" timestamp NOT NULL,
	"basis" text NOT NULL,
	"status" text NOT NULL,
	"result_code" text DEFAULT '' NOT NULL,
	"payments" integer NOT NULL,
	"amount_kes" bigint NOT NULL,
	CONSTRAINT "payment_stats_pkey" PRIMARY KEY("eat_hour","basis","status","result_code")
);
