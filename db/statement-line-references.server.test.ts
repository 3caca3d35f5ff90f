// Migration 0030: statement_lines' references (its import, its payment, the payment proposed for it)
// are checked by triggers instead of foreign keys. Every writer is still refused a line that names
// something missing, with the foreign key's SQLSTATE, on whichever driver the suite runs.
import { sql } from "drizzle-orm";
import { createTestDatabase } from "../tests/support/db";
import { rowsOf, type Database } from "./client";

let database: Database;
let importId: string;
let paymentId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  [{ id: importId }] = rowsOf<{ id: string }>(
    await database.db
      .execute(sql`insert into statement_imports (file_sha256, file_name, layout, state)
      values ('refs-test', 'refs.csv', 'modern13', 'done') returning id`),
  );
  [{ id: paymentId }] = rowsOf<{ id: string }>(
    await database.db
      .execute(sql`insert into payments (order_ref, amount_kes, phone, description, account_reference, status)
      values ('REF-1', 100, '254712345678', '', 'REF-1', 'pending') returning id`),
  );
});
afterAll(async () => database?.close());

const MISSING = "00000000-0000-4000-8000-000000000000";

function line(receipt: string, refs: { importId?: string; paymentId?: string | null }) {
  return sql`insert into statement_lines (import_id, receipt, transaction_status, direction, paid_in_kes, withdrawn_kes, match_state, payment_id)
    values (${refs.importId ?? importId}::uuid, ${receipt}, 'Completed', 'in', 100, 0, 'new', ${refs.paymentId ?? null}::uuid)`;
}

/** The SQLSTATE a statement failed with (drizzle wraps the driver's error in `cause`). */
async function failureCode(statement: Promise<unknown>): Promise<string | undefined> {
  try {
    await statement;
  } catch (error) {
    const e = error as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code;
  }
  return undefined;
}

describe("statement line references (migration 0030)", () => {
  it("stores a line that names an existing import and payment", async () => {
    await database.db.execute(line("RFA0000001", { paymentId }));
    const [row] = rowsOf<{ payment_id: string }>(
      await database.db.execute(
        sql`select payment_id from statement_lines where receipt = 'RFA0000001'`,
      ),
    );
    expect(row?.payment_id).toBe(paymentId);
  });

  it("refuses a line naming an import that does not exist, and stores none of its statement", async () => {
    const many = sql`insert into statement_lines (import_id, receipt, transaction_status, direction, paid_in_kes, withdrawn_kes, match_state)
      values (${importId}::uuid, 'RFB0000001', 'Completed', 'in', 5, 0, 'new'),
             (${MISSING}::uuid, 'RFB0000002', 'Completed', 'in', 5, 0, 'new')`;
    expect(await failureCode(database.db.execute(many))).toBe("23503");
    const rows = rowsOf<{ n: number | string }>(
      await database.db.execute(
        sql`select count(*) as n from statement_lines where receipt like 'RFB%'`,
      ),
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it("refuses a line naming a payment that does not exist, on insert and on update", async () => {
    expect(await failureCode(database.db.execute(line("RFC0000001", { paymentId: MISSING })))).toBe(
      "23503",
    );
    expect(
      await failureCode(
        database.db
          .execute(sql`insert into statement_lines (import_id, receipt, transaction_status, direction, paid_in_kes, withdrawn_kes, match_state, proposed_payment_id)
          values (${importId}::uuid, 'RFC0000003', 'Completed', 'in', 100, 0, 'proposed', ${MISSING}::uuid)`),
      ),
    ).toBe("23503");
    await database.db.execute(line("RFC0000002", {}));
    expect(
      await failureCode(
        database.db.execute(
          sql`update statement_lines set payment_id = ${MISSING}::uuid where receipt = 'RFC0000002'`,
        ),
      ),
    ).toBe("23503");
    expect(
      await failureCode(
        database.db.execute(
          sql`update statement_lines set proposed_payment_id = ${MISSING}::uuid where receipt = 'RFC0000002'`,
        ),
      ),
    ).toBe("23503");
    expect(
      await failureCode(
        database.db.execute(
          sql`update statement_lines set import_id = ${MISSING}::uuid where receipt = 'RFC0000002'`,
        ),
      ),
    ).toBe("23503");
    // A real payment is accepted, and so is every update that leaves the references alone.
    await database.db.execute(
      sql`update statement_lines set payment_id = ${paymentId}::uuid, match_state = 'matched' where receipt = 'RFC0000002'`,
    );
    await database.db.execute(
      sql`update statement_lines set match_state = 'exception' where receipt = 'RFC0000002'`,
    );
  });

  it("keeps an import that has lines, and drops one that has none", async () => {
    expect(
      await failureCode(
        database.db.execute(sql`delete from statement_imports where id = ${importId}::uuid`),
      ),
    ).toBe("23503");
    expect(await failureCode(database.db.execute(sql`truncate statement_imports cascade`))).toBe(
      "23503",
    );
    const [{ id: empty }] = rowsOf<{ id: string }>(
      await database.db
        .execute(sql`insert into statement_imports (file_sha256, file_name, layout, state)
        values ('refs-empty', 'empty.csv', 'modern13', 'failed') returning id`),
    );
    await database.db.execute(sql`delete from statement_imports where id = ${empty}::uuid`);
    const left = rowsOf<{ id: string }>(
      await database.db.execute(sql`select id from statement_imports where id = ${empty}::uuid`),
    );
    expect(left).toEqual([]);
  });

  it("never deletes a payment or changes an id that lines refer to", async () => {
    expect(
      await failureCode(
        database.db.execute(sql`delete from payments where id = ${paymentId}::uuid`),
      ),
    ).toBe("23503");
    expect(await failureCode(database.db.execute(sql`truncate payments cascade`))).toBe("23503");
    expect(
      await failureCode(
        database.db.execute(
          sql`update payments set id = gen_random_uuid() where id = ${paymentId}::uuid`,
        ),
      ),
    ).toBe("23503");
    expect(
      await failureCode(
        database.db.execute(
          sql`update statement_imports set id = gen_random_uuid() where id = ${importId}::uuid`,
        ),
      ),
    ).toBe("23503");
    const [row] = rowsOf<{ n: number | string }>(
      await database.db.execute(
        sql`select count(*) as n from payments where id = ${paymentId}::uuid`,
      ),
    );
    expect(Number(row?.n)).toBe(1);
  });
});
