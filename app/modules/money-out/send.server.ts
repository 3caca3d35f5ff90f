// Sending an initiator request that is already stored (state `sending`): the acknowledgement is
// written back, never over a result that arrived first (docs/daraja.md#initiator-apis).
import { type DarajaRequest } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import type { Ack } from "../daraja/initiator.server";
import { addPaymentEvent, type EventActor } from "../ledger/events.server";
import { REQUEST_LABEL, requestStateText } from "./request-states";
import { recordAck } from "./request-writer.server";

export async function sendStored(
  ctx: AppContext,
  request: DarajaRequest,
  actor: EventActor,
): Promise<{ ok: boolean; message: string }> {
  const apis = ctx.daraja.initiator;
  const base = { originatorConversationId: request.originatorConversationId };
  const remarks = request.reason ?? `${REQUEST_LABEL[request.kind]} from the console`;
  let ack: Ack;
  if (request.kind === "status")
    ack = await apis.transactionStatus({ ...base, receipt: request.receipt!, remarks });
  else if (request.kind === "reversal")
    ack = await apis.reversal({
      ...base,
      receipt: request.receipt!,
      amountKes: request.amountKes!,
      remarks,
    });
  else ack = await apis.accountBalance({ ...base, remarks });
  const now = ctx.now();
  const after = await recordAck(ctx.db, request, ack, now);
  const label = REQUEST_LABEL[request.kind];
  // M-Pesa may answer by callback before its acknowledgement is written: say what it answered.
  const message = !after.byAck
    ? `${label}: M-Pesa's result came before its acknowledgement; the request is ${requestStateText(after.state)}.`
    : ack.ok
      ? `${label} request accepted by M-Pesa; the result arrives by callback.`
      : ack.definite
        ? `${label} not sent: ${ack.message}`
        : `${label}: ${ack.message}. Check the result before trying again.`;
  if (request.paymentId)
    await addPaymentEvent(ctx.db, actor, {
      paymentId: request.paymentId,
      type: `${request.kind}_request`,
      summary: message,
      data: { requestId: request.id, ok: ack.ok },
    });
  return { ok: ack.ok, message };
}
