// Finance records that M-Pesa never answered a reversal at the moment its result is being applied:
// only a multi-connection PostgreSQL can race them. The result wins and is kept; the record is refused.
import { eq, sql } from "drizzle-orm";
import { darajaRequests, staffAudit } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { paidPayment } from "../../../tests/support/reconciliation";
import { approveReversal, requestReversal } from "./requests.server";
import { recordUnansweredReversal } from "./unanswered.server";

let app: TestApp;
let aheadMs = 0;
beforeAll(async () => {
  app = await startTestApp({
    env: { MPESA_RESULT_WAIT_S: "60" },
    now: () => new Date(Date.now() + aheadMs),
  });
});
afterAll(async () => app?.close());

it("a result applied while finance records no answer is kept, and the record is refused", async () => {
  const support = actorFor(await makeUser(app.ctx, "support"));
  const finance = actorFor(await makeUser(app.ctx, "finance"));
  const second = actorFor(await makeUser(app.ctx, "finance"));
  const payment = await paidPayment(app, support, { amount: 97 });
  await app.control("next-initiator-result", { api: "reversal", outcome: "drop" });
  const asked = await requestReversal(app.ctx, finance, payment.id, { reason: "Race test" });
  await approveReversal(app.ctx, second, payment.id, asked.requestId!);
  const id = asked.requestId!;
  await waitFor(
    async () =>
      (await app.ctx.db.select().from(darajaRequests).where(eq(darajaRequests.id, id)))[0]
        ?.state === "sent",
    8000,
  );
  aheadMs = 2 * 60_000;

  // The result's applier holds the row (as results.server.ts does) while finance presses the button.
  let recorded: Promise<unknown> | null = null;
  await app.ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from daraja_requests where id = ${id} for update`);
    recorded = recordUnansweredReversal(app.ctx, finance, payment.id, id, {
      note: "Nothing came back",
    }).catch((error: unknown) => error);
    // Long enough for the record to reach the locked row and wait on it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await tx.update(darajaRequests).set({ state: "completed" }).where(eq(darajaRequests.id, id));
  });
  expect(await recorded).toMatchObject({ code: "already_decided", status: 409 });
  const [row] = await app.ctx.db.select().from(darajaRequests).where(eq(darajaRequests.id, id));
  expect(row!.state).toBe("completed");
  const audit = await app.ctx.db
    .select()
    .from(staffAudit)
    .where(eq(staffAudit.action, "reversal.unanswered"));
  expect(audit).toHaveLength(0);
});
