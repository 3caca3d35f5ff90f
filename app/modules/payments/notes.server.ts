// Staff notes on a payment ("customer says the prompt never arrived"): a timeline event everyone who
// opens the payment sees, and a staff-audit row, written in one transaction.
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { payments } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { parseWith } from "../../lib/validation";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { addPaymentEvent } from "../ledger/events.server";
import { UUID } from "../../lib/uuid";

export const PaymentNoteSchema = z.object({
  note: z
    .string({ message: "Write the note first." })
    .trim()
    .min(1, "Write the note first.")
    .max(2000, "Keep the note under 2,000 characters."),
});

export async function addPaymentNote(
  db: Db,
  actor: Actor,
  paymentId: string,
  raw: z.input<typeof PaymentNoteSchema>,
): Promise<void> {
  const { note } = parseWith(PaymentNoteSchema, raw);
  if (!UUID.test(paymentId))
    throw new AppError("not_found", "That payment does not exist.", { status: 404 });
  await db.transaction(async (tx) => {
    const [payment] = await tx
      .select({ id: payments.id })
      .from(payments)
      .where(eq(payments.id, paymentId));
    if (!payment) throw new AppError("not_found", "That payment does not exist.", { status: 404 });
    await addPaymentEvent(tx, actor, { paymentId, type: "note", summary: note, data: { note } });
    await recordStaffAction(tx, actor, {
      action: "payment.note",
      entityType: "payment",
      entityId: paymentId,
      note,
    });
  });
}
