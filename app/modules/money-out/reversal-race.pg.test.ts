// Two finance users approve the same reversal at the same moment: only a multi-connection
// PostgreSQL can race them. Exactly one request may leave for M-Pesa.
import { eq } from "drizzle-orm";
import { darajaRequests, staffAudit } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { paidPayment, receiptPendingPayment } from "../../../tests/support/reconciliation";
import { getPaymentView } from "../payments/queries.server";
import { approveReversal, requestReversal, requestTransactionStatus } from "./requests.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("two approvers at once: one request leaves, the other is told it was decided", async () => {
  const support = actorFor(await makeUser(app.ctx, "support"));
  const requester = actorFor(await makeUser(app.ctx, "finance"));
  const approvers = [
    actorFor(await makeUser(app.ctx, "finance")),
    actorFor(await makeUser(app.ctx, "admin")),
    actorFor(await makeUser(app.ctx, "finance")),
  ];
  const payment = await paidPayment(app, support, { amount: 90 });
  const asked = await requestReversal(app.ctx, requester, payment.id, {
    reason: "Race test refund",
  });
  const results = await Promise.allSettled(
    approvers.map((a) => approveReversal(app.ctx, a, payment.id, asked.requestId!)),
  );
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected");
  expect(won).toHaveLength(1);
  expect(lost.map((r) => (r as PromiseRejectedResult).reason.code)).toEqual([
    "already_decided",
    "already_decided",
  ]);
  await waitFor(
    async () => (await getPaymentView(app.ctx.db, payment.id))?.status === "refunded",
    8000,
  );
  const sent = (await (await fetch(`${app.simulatorUrl}/__sim/initiator`)).json()) as {
    requests: { api: string; transactionId: string }[];
  };
  expect(
    sent.requests.filter((r) => r.api === "reversal" && r.transactionId === payment.receipt),
  ).toHaveLength(1);
  const approvals = await app.ctx.db
    .select()
    .from(staffAudit)
    .where(eq(staffAudit.action, "reversal.approve"));
  expect(approvals).toHaveLength(1);
  const [row] = await app.ctx.db
    .select()
    .from(darajaRequests)
    .where(eq(darajaRequests.id, asked.requestId!));
  expect(row.state).toBe("completed");
});

it("two finance users requesting a reversal of one receipt at once: one request exists", async () => {
  const support = actorFor(await makeUser(app.ctx, "support"));
  const users = [
    actorFor(await makeUser(app.ctx, "finance")),
    actorFor(await makeUser(app.ctx, "finance")),
  ];
  const payment = await paidPayment(app, support, { amount: 95 });
  const results = await Promise.allSettled(
    users.map((u) => requestReversal(app.ctx, u, payment.id, { reason: "Both asked at once" })),
  );
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  const rows = await app.ctx.db
    .select()
    .from(darajaRequests)
    .where(eq(darajaRequests.paymentId, payment.id));
  expect(rows).toHaveLength(1);
});

it("a double click on 'Ask M-Pesa' (Transaction Status) sends one query", async () => {
  const support = actorFor(await makeUser(app.ctx, "support"));
  const finance = [
    actorFor(await makeUser(app.ctx, "finance")),
    actorFor(await makeUser(app.ctx, "finance")),
  ];
  for (let round = 0; round < 5; round++) {
    const payment = await receiptPendingPayment(app, support, { amount: 97 + round });
    const receipt = `QRS${String(round).padStart(7, "0")}`;
    const results = await Promise.all(
      [...finance, ...finance].map((u) =>
        requestTransactionStatus(app.ctx, u, payment.id, { receipt }),
      ),
    );
    expect(results.filter((r) => r.requestId)).toHaveLength(1);
    expect(results.filter((r) => /already on its way/.test(r.message))).toHaveLength(3);
    const rows = await app.ctx.db
      .select()
      .from(darajaRequests)
      .where(eq(darajaRequests.paymentId, payment.id));
    expect(rows.filter((r) => r.kind === "status")).toHaveLength(1);
  }
});
