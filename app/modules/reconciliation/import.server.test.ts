// Importing realistic statement files (docs/daraja.md#statement-columns): preamble, quoted
// thousands, failed rows, reversals, both layouts; a file that is not a statement writes nothing;
// the same file twice and overlapping periods change nothing the second time, and say so.
import { Readable } from "node:stream";
import { and, count, eq } from "drizzle-orm";
import {
  exceptions,
  receipts,
  staffAudit,
  statementImports,
  statementLines,
} from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import {
  buildStatementCsv,
  fixtureReceipt,
  generateStatementLines,
  type StatementFixtureLine,
} from "../../../tests/support/statement-file";
import type { Actor } from "../auth/staff-audit.server";
import { importStatement } from "./import.server";
import { StatementFormatError } from "./statement-parse.server";

let app: TestApp;
let finance: Actor & { kind: "user" };

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance", { name: "Wanjiru Finance" }));
});
afterAll(async () => app?.close());

// 14-03-2025 10:15:39 EAT: long before any payment the tests make, so no period covers one.
const AT = new Date("2025-03-14T07:15:39Z");
const later = (s: number) => new Date(AT.getTime() + s * 1000);
let serial = 0;
const receipt = () => fixtureReceipt(AT, 900_000 + ++serial);

const countRows = async () => {
  const [[imports], [lines], [ledger], [queue]] = await Promise.all([
    app.ctx.db.select({ n: count() }).from(statementImports),
    app.ctx.db.select({ n: count() }).from(statementLines),
    app.ctx.db.select({ n: count() }).from(receipts),
    app.ctx.db.select({ n: count() }).from(exceptions),
  ]);
  return { imports: imports.n, lines: lines.n, receipts: ledger.n, exceptions: queue.n };
};

function realisticLines(): StatementFixtureLine[] {
  const paidIn = receipt();
  return [
    {
      receipt: paidIn,
      completedAt: AT,
      amountKes: 12_500,
      msisdn: "2547****5678",
      name: "JANE DOE",
      accountNo: "INV-10023",
    },
    {
      receipt: receipt(),
      completedAt: later(60),
      amountKes: 1_250_000,
      msisdn: "254712345678",
      name: "BIG SPENDER",
      accountNo: "INV-10024",
    },
    {
      receipt: receipt(),
      completedAt: later(120),
      amountKes: 500,
      status: "Failed",
      msisdn: "2547****0001",
      accountNo: "INV-10025",
    },
    {
      receipt: receipt(),
      completedAt: later(3600),
      amountKes: 12_500,
      direction: "out",
      reasonType: "Reversal",
      msisdn: "2547****5678",
      linkedTransactionId: paidIn,
    },
    {
      receipt: receipt(),
      completedAt: later(7200),
      amountKes: 60_000,
      direction: "out",
      reasonType: "Utility Account to Organization Settlement Account",
      otherParty: "600100 - KCB BANK KENYA",
    },
  ];
}

describe("importing a statement", () => {
  it("stores the preamble, every row and a summary; failed rows and sweeps are skipped, the reversal is linked", async () => {
    const lines = realisticLines();
    const csv = buildStatementCsv({
      lines,
      shortCode: "600966",
      accountHolder: "ACME SUPPLIES LIMITED",
      from: new Date("2025-03-13T21:00:00Z"),
      to: new Date("2025-03-14T20:59:59Z"),
    });
    expect(csv).toContain('"1,250,000.00"');
    const result = await importStatement(app.ctx, {
      fileName: "March.csv",
      input: Buffer.from(csv),
      actor: finance,
    });

    expect(result.status).toBe("imported");
    expect(result.summary).toMatchObject({
      lines: 5,
      newLines: 5,
      knownLines: 0,
      failed: 1,
      paidInKes: 1_262_500,
      withdrawnKes: 72_500,
      totalsWarning: null,
    });
    expect(result.summary.match).toMatchObject({
      exceptions: 2,
      reversals: 1,
      reversalsUnlinked: 0,
      refunded: 0,
      exceptionsByType: { statement_only: 2 },
    });
    expect(result.message).toMatch(
      /Imported 5 lines from "March.csv": 5 new, 1 failed rows skipped/,
    );

    const [imp] = await app.ctx.db
      .select()
      .from(statementImports)
      .where(eq(statementImports.id, result.importId));
    expect(imp).toMatchObject({
      fileName: "March.csv",
      layout: "modern13",
      accountHolder: "ACME SUPPLIES LIMITED",
      shortCode: "600966",
      account: "Utility Account",
      periodFrom: new Date("2025-03-13T21:00:00Z"),
      periodTo: new Date("2025-03-14T20:59:59Z"),
      lineCount: 5,
      newLineCount: 5,
      importedByUserId: finance.userId,
    });
    expect(imp.fileSha256).toMatch(/^[0-9a-f]{64}$/);

    const stored = await app.ctx.db
      .select()
      .from(statementLines)
      .where(eq(statementLines.importId, result.importId))
      .orderBy(statementLines.id);
    expect(
      stored.map((l) => [
        l.transactionStatus,
        l.direction,
        l.paidInKes,
        l.withdrawnKes,
        l.matchState,
      ]),
    ).toEqual([
      ["Completed", "in", 12_500, 0, "exception"],
      ["Completed", "in", 1_250_000, 0, "exception"],
      ["Failed", "in", 500, 0, "skipped"],
      ["Completed", "out", 0, 12_500, "reversal"],
      ["Completed", "out", 0, 60_000, "skipped"],
    ]);
    expect(stored[0]).toMatchObject({
      accountNo: "INV-10023",
      otherPartyInfo: "2547****5678 - JANE DOE",
      completedAt: AT,
      reasonType: "Pay Bill Online",
    });
    const [original] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, lines[0].receipt));
    expect(original.reversedByReceipt).toBe(lines[3].receipt);
    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(eq(staffAudit.entityId, result.importId));
    expect(audit).toEqual([
      expect.objectContaining({ action: "statement.import", actorUserId: finance.userId }),
    ]);
  });

  it("reads the 2010 layout (11 columns, Withdrawn before Paid In) and an unsigned Withdrawn", async () => {
    const lines: StatementFixtureLine[] = [
      {
        receipt: receipt(),
        completedAt: later(10),
        amountKes: 3_400,
        msisdn: "2547****1234",
        accountNo: "OLD-1",
      },
      {
        receipt: receipt(),
        completedAt: later(20),
        amountKes: 900,
        direction: "out",
        reasonType: "Business Charges",
        otherParty: "600000 - SAFARICOM",
      },
    ];
    const csv = buildStatementCsv({
      lines,
      layout: "legacy11",
      negativeWithdrawn: false,
      from: later(0),
      to: later(30),
    });
    const result = await importStatement(app.ctx, {
      fileName: "2010.csv",
      input: csv,
      actor: finance,
    });
    expect(result.summary).toMatchObject({
      lines: 2,
      newLines: 2,
      paidInKes: 3_400,
      withdrawnKes: 900,
    });
    const [imp] = await app.ctx.db
      .select()
      .from(statementImports)
      .where(eq(statementImports.id, result.importId));
    expect(imp.layout).toBe("legacy11");
    const stored = await app.ctx.db
      .select()
      .from(statementLines)
      .where(eq(statementLines.importId, result.importId))
      .orderBy(statementLines.id);
    expect(stored.map((l) => [l.direction, l.paidInKes, l.withdrawnKes, l.initiatedAt])).toEqual([
      ["in", 3_400, 0, null],
      ["out", 0, 900, null],
    ]);
  });

  it("warns when the preamble's totals disagree with the rows", async () => {
    const lines = [{ receipt: receipt(), completedAt: later(40), amountKes: 100, accountNo: "X" }];
    const csv = buildStatementCsv({ lines, from: later(0), to: later(50) })
      .replace('"Total Paid In:",100.00', '"Total Paid In:",200.00')
      .replace("Total Paid In:,100.00", "Total Paid In:,200.00");
    const result = await importStatement(app.ctx, {
      fileName: "edited.csv",
      input: csv,
      actor: finance,
    });
    expect(result.summary.totalsWarning).toMatch(
      /Total Paid In says KES 200 but the rows add up to KES 100/,
    );
    expect(result.message).toMatch(/Warning:/);
  });
});

describe("a file that is not a statement", () => {
  it.each([
    [
      "a spreadsheet of something else",
      "Name,Email\nJane,jane@example.com\n",
      /Expected a header row starting with 'Receipt No\.'; the first row was 'Name,Email'/,
    ],
    ["an empty file", "", /the file is empty/],
  ])("%s is refused with what was expected and found", async (_name, text, message) => {
    const before = await countRows();
    await expect(
      importStatement(app.ctx, { fileName: "wrong.csv", input: text, actor: finance }),
    ).rejects.toThrow(message);
    expect(await countRows()).toEqual(before);
  });

  it("a bad row deep in a long file leaves nothing behind: no import, no lines, no receipts, no exceptions", async () => {
    const lines = [...generateStatementLines(2_500, 7, AT)];
    lines[2_300] = {
      ...lines[2_300],
      status: "Completed",
      overrides: { "Completion Time": "31-02-2025 10:00:00" },
    };
    const before = await countRows();
    const error = await importStatement(app.ctx, {
      fileName: "broken.csv",
      input: Readable.from([buildStatementCsv({ lines })]),
      actor: finance,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(StatementFormatError);
    expect(error.message).toMatch(
      /^Row 2308: 'Completion Time' value '31-02-2025 10:00:00' is not a DD-MM-YYYY HH:mm:ss date/,
    );
    expect(await countRows()).toEqual(before);
  });
});

describe("importing again", () => {
  it("the same file changes nothing and says when and by whom it was imported", async () => {
    const csv = buildStatementCsv({
      lines: [{ receipt: receipt(), completedAt: later(300), amountKes: 777, accountNo: "A-1" }],
      from: later(299),
      to: later(301),
    });
    const first = await importStatement(app.ctx, {
      fileName: "once.csv",
      input: Buffer.from(csv),
      actor: finance,
    });
    const before = await countRows();
    for (const input of [Buffer.from(csv), Readable.from([Buffer.from(csv)])]) {
      const again = await importStatement(app.ctx, {
        fileName: "twice.csv",
        input,
        actor: finance,
      });
      expect(again).toMatchObject({ status: "already_imported", importId: first.importId });
      expect(again.message).toMatch(
        /^This file was already imported on \d+ \w+ \d{4}, [\d:]+ EAT by Wanjiru Finance \(as "once.csv"\); nothing was changed\.$/,
      );
      expect(await countRows()).toEqual(before);
    }
  });

  it("an overlapping period imports only the receipts not seen before, and counts the rest as known", async () => {
    const lines = Array.from({ length: 5 }, (_, i) => ({
      receipt: receipt(),
      completedAt: later(1000 + i),
      amountKes: 1000 + i,
      accountNo: `OV-${i}`,
    }));
    await importStatement(app.ctx, {
      fileName: "week1.csv",
      input: buildStatementCsv({ lines: lines.slice(0, 3), from: later(999), to: later(1002) }),
      actor: finance,
    });
    const before = await countRows();
    const second = await importStatement(app.ctx, {
      fileName: "week2.csv",
      input: buildStatementCsv({ lines: lines.slice(1), from: later(1001), to: later(1005) }),
      actor: finance,
    });
    expect(second.summary).toMatchObject({ lines: 4, newLines: 2, knownLines: 2 });
    expect(second.message).toMatch(/2 new, 2 already known from an earlier import \(unchanged\)/);
    const after = await countRows();
    expect(after).toEqual({
      imports: before.imports + 1,
      lines: before.lines + 2,
      receipts: before.receipts + 2,
      exceptions: before.exceptions + 2,
    });
  });

  it("a file that lists a receipt twice keeps its first row; a copy with other facts is a case, an exact copy is not", async () => {
    const twice = receipt();
    const exact = receipt();
    const exactLine = { receipt: exact, completedAt: later(2002), amountKes: 300 };
    const result = await importStatement(app.ctx, {
      fileName: "repeated.csv",
      input: buildStatementCsv({
        lines: [
          { receipt: twice, completedAt: later(2000), amountKes: 700, accountNo: "REP-1" },
          { receipt: twice, completedAt: later(2001), amountKes: 900, accountNo: "REP-2" },
          exactLine,
          exactLine,
        ],
      }),
      actor: finance,
    });
    expect(result.summary).toMatchObject({ lines: 4, newLines: 2, knownLines: 2, conflicts: 1 });
    expect(result.message).toMatch(
      /2 new, 1 already known from an earlier import \(unchanged\), 1 repeating a booked receipt with another amount or time \(a case each\)/,
    );
    const stored = await app.ctx.db
      .select({
        id: statementLines.id,
        paidInKes: statementLines.paidInKes,
        accountNo: statementLines.accountNo,
      })
      .from(statementLines)
      .where(eq(statementLines.receipt, twice));
    expect(stored.map(({ paidInKes, accountNo }) => ({ paidInKes, accountNo }))).toEqual([
      { paidInKes: 700, accountNo: "REP-1" },
    ]);
    const conflictsOf = (r: string) =>
      app.ctx.db
        .select()
        .from(exceptions)
        .where(and(eq(exceptions.receipt, r), eq(exceptions.type, "statement_conflict")));
    const [conflict] = await conflictsOf(twice);
    expect(conflict).toMatchObject({
      status: "open",
      statementLineId: null, // the row is no line, and the booked one may be another import's
      amountAtStakeKes: 900,
      paymentId: null,
      summary: `Receipt ${twice} appears again in row 9 as KES 900 in, 14 Mar 2025, 10:49:00 EAT, but the line already booked for it says KES 700 in, 14 Mar 2025, 10:48:59 EAT; only the booked line counts`,
    });
    expect(conflict.details).toMatchObject({
      statement: { importId: result.importId, row: 9, paidInKes: 900, accountNo: "REP-2" },
      booked: { lineId: stored[0].id, paidInKes: 700 },
    });
    expect(await conflictsOf(exact)).toEqual([]);

    // A later statement with the same disagreement opens no second case; another one opens its own.
    const later90k = { receipt: twice, completedAt: later(2001), amountKes: 90_000 };
    const next = await importStatement(app.ctx, {
      fileName: "next.csv",
      input: buildStatementCsv({
        lines: [{ receipt: twice, completedAt: later(2001), amountKes: 900 }, later90k],
      }),
      actor: finance,
    });
    expect(next.summary).toMatchObject({ lines: 2, newLines: 0, conflicts: 2 });
    expect((await conflictsOf(twice)).map((x) => x.amountAtStakeKes).sort()).toEqual([900, 90_000]);

    // The same lines re-saved in Excel (seconds dropped), and a Failed row with another amount: no case.
    const failed = receipt();
    await importStatement(app.ctx, {
      fileName: "failed.csv",
      input: buildStatementCsv({
        lines: [{ receipt: failed, completedAt: later(2003), amountKes: 50, status: "Failed" }],
      }),
      actor: finance,
    });
    const resaved = await importStatement(app.ctx, {
      fileName: "resaved.csv",
      input: buildStatementCsv({
        lines: [
          {
            receipt: twice,
            completedAt: later(2000),
            amountKes: 700,
            overrides: { "Completion Time": "14-03-2025 10:48" },
          },
          { receipt: failed, completedAt: later(2003), amountKes: 5_000, status: "Failed" },
        ],
      }),
      actor: finance,
    });
    expect(resaved.summary).toMatchObject({ lines: 2, newLines: 0, conflicts: 0 });
    expect(await conflictsOf(failed)).toEqual([]);
    expect(await conflictsOf(twice)).toHaveLength(2);
  });

  it("a generated busy month imports in one go", async () => {
    const result = await importStatement(app.ctx, {
      fileName: "busy.csv",
      input: Readable.from(
        buildStatementCsv({
          lines: [...generateStatementLines(3_000, 11, new Date("2024-06-01T00:00:00Z"))],
        }),
      ),
      actor: finance,
    });
    expect(result.summary.lines).toBe(3_000);
    expect(result.summary.newLines).toBe(3_000);
    expect(result.summary.failed).toBeGreaterThan(0);
    expect(result.summary.match!.reversals).toBeGreaterThan(0);
  });
});
