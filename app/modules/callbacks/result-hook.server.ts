// The initiator APIs' ResultURL and QueueTimeOutURL (docs/daraja.md#initiator-apis): the same path
// as the STK callback — path token, raw log first, acknowledge, apply off the request path.
import type { AppContext } from "../../context.server";
import { initiatorHookKind } from "./identifiers";
import { receiveWebhook } from "./webhook.server";

export async function receiveResultHook(
  ctx: AppContext,
  request: Request,
  params: { api?: string; token?: string },
  hook: "result" | "timeout",
): Promise<Response> {
  const kind = initiatorHookKind(params.api, hook);
  if (!kind) return Response.json({ ResultCode: 1, ResultDesc: "Not found" }, { status: 404 });
  const { refusal } = await receiveWebhook(ctx, request, params.token, kind);
  if (refusal)
    return Response.json(
      { ResultCode: 1, ResultDesc: refusal.message },
      { status: refusal.status },
    );
  ctx.callbackQueue.wake();
  return Response.json({ ResultCode: 0, ResultDesc: "Accepted" });
}
