// Pending payments in bulk for poller tests and the benchmark: one payment and one accepted attempt per
// CheckoutRequestID the simulator handed out (POST /__sim/transactions), already due for a check.
// Written straight to the tables because initiatePayment would push (and call back) once per row.
import { randomBytes } from "node:crypto";
import type { Db } from "../../db/client";
import { payments, stkAttempts } from "../../db/schema";

export type DueAttempt = { paymentId: string; attemptId: string; checkoutRequestId: string };

export async function insertDueAttempts(
  db: Db,
  checkoutRequestIds: string[],
  options: { amountKes?: number; phone?: string; createdAt?: Date; nextPollAt?: Date } = {},
): Promise<DueAttempt[]> {
  const createdAt = options.createdAt ?? new Date();
  const nextPollAt = options.nextPollAt ?? createdAt;
  const amountKes = options.amountKes ?? 1;
  const phone = options.phone ?? "254708000006";
  const tag = randomBytes(3).toString("hex");
  const out: DueAttempt[] = [];
  for (let i = 0; i < checkoutRequestIds.length; i += 1000) {
    const chunk = checkoutRequestIds.slice(i, i + 1000);
    await db.transaction(async (tx) => {
      const rows = await tx
        .insert(payments)
        .values(
          chunk.map((_, j) => ({
            orderRef: `DUE-${tag}-${i + j}`,
            amountKes,
            phone,
            description: "poller test",
            accountReference: `DUE${i + j}`.slice(0, 12),
            status: "pending" as const,
            createdAt,
            updatedAt: createdAt,
          })),
        )
        .returning({ id: payments.id });
      const attempts = await tx
        .insert(stkAttempts)
        .values(
          rows.map((p, j) => ({
            paymentId: p.id,
            seq: 1,
            phone,
            amountKes,
            status: "pending" as const,
            checkoutRequestId: chunk[j],
            merchantRequestId: `sim-${j}`,
            nextPollAt,
            createdAt,
            updatedAt: createdAt,
          })),
        )
        .returning({
          id: stkAttempts.id,
          paymentId: stkAttempts.paymentId,
          checkoutRequestId: stkAttempts.checkoutRequestId,
        });
      out.push(
        ...attempts.map((a) => ({
          paymentId: a.paymentId,
          attemptId: a.id,
          checkoutRequestId: a.checkoutRequestId!,
        })),
      );
    });
  }
  return out;
}
