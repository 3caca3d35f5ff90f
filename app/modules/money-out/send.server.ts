// Sending an initiator request that is already stored (state `sending`): the acknowledgement is
// written back, never over a result that arrived first (docs/daraja.md#initiator-apis).
import { type DarajaRequest, type DarajaRequestState } from "../../../db/schema";
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
  const message = after.byAck
    ? ack.ok
      ? `${label} request accepted by M-Pesa; the result arrives by callback.`
      : ack.refused
        ? `${label} not sent: ${ack.message}`
        : `${label}: ${ack.message}. M-Pesa may still have taken it: check the result before trying again.`
    : lateAckText(label, after.state);
  if (request.paymentId)
    await addPaymentEvent(ctx.db, actor, {
      paymentId: request.paymentId,
      type: `${request.kind}_request`,
      summary: message,
      data: { requestId: request.id, ok: ack.ok },
    });
  // An answer that came first decides: a completed request is done, whatever the call said.
  return { ok: after.byAck ? ack.ok : after.state === "completed", message };
}

// M-Pesa's answer (or finance's record that none came) was written before the call returned.
function lateAckText(label: string, state: DarajaRequestState): string {
  if (state === "completed" || state === "failed")
    return `${label}: M-Pesa's result came before its acknowledgement; the request is ${requestStateText(state)}.`;
  if (state === "timed_out")
    return `${label}: M-Pesa's queue timed the request out before its acknowledgement came; a result that still comes is applied.`;
  return `${label}: the request is already ${requestStateText(state)}; a result that still comes is applied.`;
}
