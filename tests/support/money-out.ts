// Money-out test helpers shared by the module's test files.
import { eq } from "drizzle-orm";
import { darajaRequests } from "../../db/schema";
import type { TestApp } from "./app";
import { actorFor, makeUser } from "./factories";

/** Who money-out tests act as: a finance user who asks, a second who approves, support who sells. */
export async function moneyOutStaff(app: TestApp) {
  return {
    finance: actorFor(await makeUser(app.ctx, "finance")),
    second: actorFor(await makeUser(app.ctx, "finance")),
    support: actorFor(await makeUser(app.ctx, "support")),
  };
}

/** Delivers a successful reversal result for our request to the hook, as M-Pesa would. */
export async function postReversalResult(
  app: TestApp,
  requestId: string,
  r: {
    reversalReceipt: string;
    amount: number | null;
    original: string;
    /** Daraja's id for the request; ours has none until M-Pesa acknowledged it. */
    conversationId?: string;
    /** Ours unless given: M-Pesa may put its own id there instead of echoing ours. */
    originatorConversationId?: string;
  },
) {
  const [request] = await app.ctx.db
    .select()
    .from(darajaRequests)
    .where(eq(darajaRequests.id, requestId));
  return fetch(`${app.appUrl}/hooks/daraja/reversal/result/test-callback-token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      Result: {
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: "The service request is processed successfully.",
        OriginatorConversationID: r.originatorConversationId ?? request!.originatorConversationId,
        ConversationID: r.conversationId ?? request!.conversationId,
        TransactionID: r.reversalReceipt,
        ResultParameters: {
          ResultParameter: [
            ...(r.amount === null ? [] : [{ Key: "Amount", Value: r.amount }]),
            { Key: "OriginalTransactionID", Value: r.original },
            { Key: "TransCompletedTime", Value: 20260101120000 },
          ],
        },
      },
    }),
  });
}
