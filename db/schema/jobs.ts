// Job leases and poller runs.
import { bigserial, index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { ts } from "./columns";

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
