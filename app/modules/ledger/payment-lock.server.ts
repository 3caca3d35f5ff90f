// The one way to lock a payment row before deciding anything about it. Every writer takes the payment
// first (then its attempt, receipt or request), so two writers about one payment queue instead of
// deadlocking. NO KEY UPDATE: rows that only reference the payment (events, cases) are not blocked.
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { payments, type Payment } from "../../../db/schema";

export async function lockPayment(tx: Db, paymentId: string): Promise<Payment | null> {
  const [row] = await tx
    .select()
    .from(payments)
    .where(eq(payments.id, paymentId))
    .for("no key update");
  return row ?? null;
}
