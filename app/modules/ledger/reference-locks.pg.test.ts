// Matching a statement opens cases for thousands of payments in one transaction, and each case's
// foreign key to its payment holds a KEY SHARE lock on it until that transaction commits. The gate
// locks payments and attempts FOR NO KEY UPDATE, which such a lock does not block, nor is blocked by:
// a callback for one of those payments is applied at once instead of waiting for the import, and an
// import never waits for the gate (PostgreSQL, two connections). (Statement lines themselves lock no
// payment since migration 0030: db/statement-line-references.pg.test.ts.)
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { payments } from "../../../db/schema";
import { within } from "../../lib/within";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  waitFor,
  type TestApp,
} from "../../../tests/support/app";
import { lockAttempt } from "./payments.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const ROLLED_BACK = new Error("rolled back on purpose");
const swallowRollback = (error: unknown) => {
  if (error !== ROLLED_BACK) throw error;
};

/** One pending 450 KES payment with its attempt, not due for polling within the test. */
async function pendingPayment(n: number) {
  const [due] = await insertDueAttempts(app.ctx.db, [`ws_CO_refl_${process.pid}_${n}`], {
    amountKes: 450,
    nextPollAt: new Date(Date.now() + 3_600_000),
  });
  return due;
}

/** A transaction that stays open, as a statement import's store step does, until `end()` rolls it back. */
function holdOpen(work: (tx: Db) => Promise<unknown>) {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const done = app.ctx.db
    .transaction(async (tx) => {
      await work(tx);
      ready();
      await ended;
      throw ROLLED_BACK;
    })
    .catch((error: unknown) => {
      ready();
      swallowRollback(error);
    });
  return { started, end: async () => (end(), done) };
}

/** What an import's match step writes for a case about the payment (a foreign-key check on it). */
async function insertCaseNaming(tx: Db, paymentId: string, tag: string) {
  await tx.execute(sql`insert into exceptions (type, dedupe_key, payment_id, summary)
    values ('missing_from_statement', ${`refl-${tag}`}, ${paymentId}, 'a case the statement opened')`);
}

const statusOf = async (paymentId: string) => {
  const [p] = await app.ctx.db
    .select({ status: payments.status })
    .from(payments)
    .where(eq(payments.id, paymentId));
  return p?.status;
};

describe("locks on a payment (PostgreSQL)", () => {
  it("applies a success callback while an open import's case names its payment", async () => {
    const due = await pendingPayment(1);
    const tag = randomBytes(4).toString("hex").toUpperCase();
    const importing = holdOpen((tx) => insertCaseNaming(tx, due.paymentId, tag));
    await importing.started;
    try {
      // With FOR UPDATE the applier would wait here until the import ends: bounded, so it fails.
      const applied = async () => {
        const response = await postStkCallback(
          app,
          stkCallbackBody({
            checkoutRequestId: due.checkoutRequestId,
            receipt: `UL${tag}`,
            amount: 450,
          }),
        );
        expect(response.status).toBe(200);
        await waitFor(async () => (await statusOf(due.paymentId)) === "paid", 5_000, "paid");
      };
      await within(applied(), 8_000, () => {
        throw new Error("the callback waited for the open import");
      });
    } finally {
      await importing.end();
    }
    expect(await statusOf(due.paymentId)).toBe("paid");
  });

  it("lets an import name a payment the gate holds, without waiting", async () => {
    const due = await pendingPayment(2);
    const gate = holdOpen((tx) => lockAttempt(tx, due.attemptId));
    await gate.started;
    try {
      const tag = randomBytes(4).toString("hex").toUpperCase();
      // With FOR UPDATE the insert's foreign-key check would wait for the gate: lock_timeout (55P03).
      let inserted = 0;
      const attempt = app.ctx.db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '1s'`);
        await insertCaseNaming(tx, due.paymentId, tag);
        const [row] = rowsOf<{ n: number | string }>(
          await tx.execute(
            sql`select count(*) as n from exceptions where payment_id = ${due.paymentId}`,
          ),
        );
        inserted = Number(row?.n ?? 0);
        throw ROLLED_BACK;
      });
      await expect(attempt).rejects.toBe(ROLLED_BACK);
      expect(inserted).toBe(1);
    } finally {
      await gate.end();
    }
  });

  it("still makes a second writer on the same payment wait for the first", async () => {
    const due = await pendingPayment(3);
    const first = holdOpen((tx) => lockAttempt(tx, due.attemptId));
    await first.started;
    try {
      const second = app.ctx.db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '300ms'`);
        await lockAttempt(tx, due.attemptId);
      });
      // 55P03: lock_not_available, the lock timeout ran out while waiting for the first writer.
      await expect(second).rejects.toMatchObject({ cause: { code: "55P03" } });
    } finally {
      await first.end();
    }
  });
});
