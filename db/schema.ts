// The one schema both drivers (PGlite and postgres.js) run, one file per concept under db/schema/.
// Money is integer shillings; every time is timestamptz (UTC). Append-only tables (staff_audit,
// raw_callbacks' bodies, payment_events) are guarded by triggers in the migrations, not only by
// convention.
import { apiKeys, users } from "./schema/staff";
import { exceptions } from "./schema/exceptions";
import { pollerRuns } from "./schema/jobs";
import { paymentEvents, payments, rawCallbacks, receipts, stkAttempts } from "./schema/payments";
import { statementImports, statementLines } from "./schema/statements";

export * from "./schema/staff";
export * from "./schema/daraja";
export * from "./schema/payments";
export * from "./schema/exceptions";
export * from "./schema/jobs";
export * from "./schema/statements";
export * from "./schema/webhooks";
export * from "./schema/money-out";
export * from "./schema/tariffs";

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
