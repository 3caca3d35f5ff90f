// Daraja plumbing: the shared OAuth token and the log of every call.
import { bigserial, index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";

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
