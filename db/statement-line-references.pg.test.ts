// Migration 0030 under concurrency (PostgreSQL only, vitest.config.ts): a statement import storing
// lines no longer locks the payments they name (a callback may take a payment FOR UPDATE meanwhile),
// and an import cannot be deleted from under lines another transaction is storing for it.
import { sql } from "drizzle-orm";
import { createTestDatabase } from "../tests/support/db";
import { rowsOf, type Database, type Db } from "./client";

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

async function newImport(sha: string): Promise<string> {
  const [row] = rowsOf<{ id: string }>(
    await database.db
      .execute(sql`insert into statement_imports (file_sha256, file_name, layout, state)
      values (${sha}, 'race.csv', 'modern13', 'storing') returning id`),
  );
  return row.id;
}

async function newPayment(ref: string): Promise<string> {
  const [row] = rowsOf<{ id: string }>(
    await database.db
      .execute(sql`insert into payments (order_ref, amount_kes, phone, description, account_reference, status)
      values (${ref}, 100, '254712345678', '', ${ref}, 'paid') returning id`),
  );
  return row.id;
}

const insertLine = (tx: Db, importId: string, receipt: string, paymentId: string | null) =>
  tx.execute(sql`insert into statement_lines (import_id, receipt, transaction_status, direction, paid_in_kes, withdrawn_kes, match_state, payment_id)
    values (${importId}::uuid, ${receipt}, 'Completed', 'in', 100, 0, 'matched', ${paymentId}::uuid)`);

/** Runs `inside` in a transaction that stays open (lines inserted, not committed) until `body` ends. */
async function whileStoring<T>(
  importId: string,
  receipt: string,
  paymentId: string | null,
  body: () => Promise<T>,
): Promise<T> {
  let result!: T;
  await database.db.transaction(async (tx) => {
    await insertLine(tx, importId, receipt, paymentId);
    result = await body();
  });
  return result;
}

/** What a statement ended with: "done", or the SQLSTATE it failed with. */
const outcome = (statement: Promise<unknown>): Promise<string | undefined> =>
  statement.then(
    () => "done",
    (error: { cause?: { code?: string }; code?: string }) => error.cause?.code ?? error.code,
  );

/** "waiting" while `settled` has not settled after half a second (it waits for a lock). */
const stateAfterHalfASecond = (settled: Promise<unknown>): Promise<unknown> =>
  Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve("waiting"), 500))]);

describe("statement line references under concurrency (PostgreSQL)", () => {
  it("a payment named by lines being stored can still be locked FOR UPDATE at once", async () => {
    const importId = await newImport("race-lock");
    const paymentId = await newPayment("RACE-LOCK");
    const locked = await whileStoring(importId, "RCA0000001", paymentId, () =>
      database.db.transaction(async (other) => {
        // NOWAIT: with the foreign key, the storing transaction's KEY SHARE lock refused this at once.
        const rows = rowsOf<{ id: string }>(
          await other.execute(
            sql`select id from payments where id = ${paymentId}::uuid for update nowait`,
          ),
        );
        return rows.length;
      }),
    );
    expect(locked).toBe(1);
  });

  it("deleting an import while its lines are being stored waits, then is refused", async () => {
    const importId = await newImport("race-delete");
    let deleting: Promise<string | undefined> | undefined;
    await whileStoring(importId, "RCB0000001", null, async () => {
      deleting = outcome(
        database.db.execute(sql`delete from statement_imports where id = ${importId}::uuid`),
      );
      // The delete waits for the storing transaction's lock on the import row.
      expect(await stateAfterHalfASecond(deleting)).toBe("waiting");
    });
    expect(await deleting).toBe("23503");
    const [row] = rowsOf<{ n: number | string }>(
      await database.db.execute(
        sql`select count(*) as n from statement_lines where import_id = ${importId}::uuid`,
      ),
    );
    expect(Number(row?.n)).toBe(1);
  });

  it("lines stored after an import was deleted by another transaction are refused", async () => {
    const importId = await newImport("race-gone");
    let storing: Promise<string | undefined> | undefined;
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`delete from statement_imports where id = ${importId}::uuid`);
      storing = outcome(insertLine(database.db, importId, "RCC0000001", null));
      // The insert waits for the delete's lock on the import row, then finds the row gone.
      expect(await stateAfterHalfASecond(storing)).toBe("waiting");
    });
    expect(await storing).toBe("23503");
  });
});
