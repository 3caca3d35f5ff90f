// The gate's set-based refund (a statement's reversals): only `paid` money is refunded, once, by its
// first evidence; later evidence and other statuses are only noted; merchants hear each refund.
import { randomUUID } from "node:crypto";
import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { paymentEvents, payments, webhookEvents } from "../../../db/schema";
import { createTestDatabase } from "../../../tests/support/db";
import { refundPaymentsFrom } from "./refunds.server";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const ACTOR = { kind: "system", label: "statement reconciliation" } as const;

async function payment(status: "paid" | "pending") {
  const id = randomUUID();
  await database.db.insert(payments).values({
    id,
    orderRef: `RF-${id.slice(0, 8)}`,
    amountKes: 500,
    phone: "254700000001",
    description: "refund test",
    accountReference: "RF",
    status,
  });
  return id;
}

const evidence = (rows: ([number, string] | [number, string, boolean])[]) =>
  sql`select * from (values ${sql.join(
    rows.map(
      ([ord, id, refundable = true]) =>
        sql`(${ord}::bigint, ${id}::uuid, ${`Reversed (R${ord})`}, 'reversal', ${`Reversal R${ord}`}, ${JSON.stringify({ ord })}::jsonb, ${refundable}::boolean)`,
    ),
    sql`, `,
  )}) as v(ord, payment_id, reason, type, summary, data, refundable)`;

const timeline = async (id: string) =>
  (
    await database.db
      .select({ type: paymentEvents.type, summary: paymentEvents.summary })
      .from(paymentEvents)
      .where(eq(paymentEvents.paymentId, id))
      .orderBy(asc(paymentEvents.id))
  ).map((e) => `${e.type}: ${e.summary}`);

it("refunds each paid payment once, by its first evidence, and only notes the rest", async () => {
  const [a, b, c] = [await payment("paid"), await payment("paid"), await payment("pending")];
  const now = new Date("2025-03-14T07:00:00Z");
  const refunded = await database.db.transaction((tx) =>
    refundPaymentsFrom(
      tx,
      ACTOR,
      now,
      evidence([
        [2, a],
        [5, a],
        [3, c],
        [4, b],
      ]),
    ),
  );
  expect(refunded).toBe(2);
  const rows = await database.db
    .select({ id: payments.id, status: payments.status, reason: payments.statusReason })
    .from(payments)
    .where(inArray(payments.id, [a, b, c]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(byId.get(a)).toMatchObject({ status: "refunded", reason: "Reversed (R2)" });
  expect(byId.get(b)).toMatchObject({ status: "refunded", reason: "Reversed (R4)" });
  expect(byId.get(c)).toMatchObject({ status: "pending", reason: null });
  expect(await timeline(a)).toEqual([
    "reversal: Reversal R2",
    "status_changed: Status paid → refunded: Reversed (R2)",
    "reversal: Reversal R5",
  ]);
  expect(await timeline(c)).toEqual(["reversal: Reversal R3"]);
  const hooks = await database.db
    .select({ type: webhookEvents.type, paymentId: webhookEvents.paymentId })
    .from(webhookEvents)
    .orderBy(asc(webhookEvents.seq));
  expect(hooks).toEqual([
    { type: "payment.refunded", paymentId: a },
    { type: "payment.refunded", paymentId: b },
  ]);

  // The same evidence again (a statement imported twice): nothing is refunded twice.
  const again = await database.db.transaction((tx) =>
    refundPaymentsFrom(tx, ACTOR, now, evidence([[2, a]])),
  );
  expect(again).toBe(0);
  expect((await timeline(a)).at(-1)).toBe("reversal: Reversal R2");
  expect(await database.db.select().from(webhookEvents)).toHaveLength(2);
});

it("only notes evidence that may not refund, and refunds by the first evidence that may", async () => {
  const [a, b] = [await payment("paid"), await payment("paid")];
  const now = new Date("2025-03-14T07:00:00Z");
  const refunded = await database.db.transaction((tx) =>
    refundPaymentsFrom(
      tx,
      ACTOR,
      now,
      evidence([
        [6, a, false],
        [7, a, true],
        [8, b, false],
      ]),
    ),
  );
  expect(refunded).toBe(1);
  expect(await timeline(a)).toEqual([
    "reversal: Reversal R7",
    "status_changed: Status paid → refunded: Reversed (R7)",
    "reversal: Reversal R6",
  ]);
  expect(await timeline(b)).toEqual(["reversal: Reversal R8"]);
  const [row] = await database.db.select().from(payments).where(eq(payments.id, b));
  expect(row.status).toBe("paid");
});
