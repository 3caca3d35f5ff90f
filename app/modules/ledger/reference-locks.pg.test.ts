// A statement import names thousands of payments in its lines, and PostgreSQL's foreign-key check
// holds a KEY SHARE lock on each of them until the import commits. The gate locks payments and
// attempts FOR NO KEY UPDATE, which such a lock does not block: a callback for one of those payments is
// applied at once instead of waiting for the import (PostgreSQL, two connections).
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { rowsOf } from "../../../db/client";
import { payments } from "../../../db/schema";
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

const later = () => new Date(Date.now() + 3_600_000);

/** A transaction that stays open, as a statement import's store step does, until `end()`. */
function holdOpen(work: (tx: TestApp["ctx"]["db"]) => Promise<unknown>) {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const done = app.ctx.db.transaction(async (tx) => {
    await work(tx);
    ready();
    await ended;
  });
  done.catch(() => ready());
  return { started, end: async () => (end(), done) };
}

describe("locks on a payment (PostgreSQL)", () => {
  it("applies a success callback while an open import's statement line names its payment", async () => {
    const [due] = await insertDueAttempts(app.ctx.db, [`ws_CO_refl_${process.pid}_1`], {
      amountKes: 450,
      nextPollAt: later(),
    });
    const tag = randomBytes(4).toString("hex").toUpperCase();
    const importing = holdOpen(async (tx) => {
      const [imp] = rowsOf<{ id: string }>(
        await tx.execute(sql`insert into statement_imports
        (file_sha256, file_name, layout, state) values (${`refl-${tag}`}, 'month.csv', 'test', 'storing')
        returning id`),
      );
      await tx.execute(sql`insert into statement_lines (import_id, receipt, transaction_status,
          direction, paid_in_kes, withdrawn_kes, match_state, payment_id)
        values (${imp.id}, ${`RL${tag}`}, 'Completed', 'in', 450, 0, 'new', ${due.paymentId})`);
    });
    await importing.started;
    try {
      const response = await postStkCallback(
        app,
        stkCallbackBody({
          checkoutRequestId: due.checkoutRequestId,
          receipt: `UL${tag}`,
          amount: 450,
        }),
      );
      expect(response.status).toBe(200);
      // Well before the import ends: FOR UPDATE would wait here until end() below.
      await waitFor(
        async () => {
          const [p] = await app.ctx.db
            .select({ status: payments.status })
            .from(payments)
            .where(eq(payments.id, due.paymentId));
          return p?.status === "paid";
        },
        5_000,
        "the payment to be paid while the import is still open",
      );
    } finally {
      await importing.end();
    }
  });

  it("still makes a second writer on the same payment wait for the first", async () => {
    const [due] = await insertDueAttempts(app.ctx.db, [`ws_CO_refl_${process.pid}_2`], {
      amountKes: 450,
      nextPollAt: later(),
    });
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
