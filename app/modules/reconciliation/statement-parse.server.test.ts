import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseExcelSerialEat } from "~/lib/time";
import {
  buildStatementCsv,
  generateStatementLines,
  statementCsvChunks,
  type StatementFileOptions,
  type StatementFixtureLine,
} from "../../../tests/support/statement-file";
import {
  StatementFormatError,
  readStatement,
  type StatementEvent,
  type StatementInput,
  type StatementLine,
  type StatementMeta,
} from "./statement-parse.server";

// 14-03-2025 10:15:39 EAT is 07:15:39 UTC.
const AT = new Date("2025-03-14T07:15:39Z");
const later = (seconds: number) => new Date(AT.getTime() + seconds * 1000);

const PAYMENT: StatementFixtureLine = {
  receipt: "TCE4XK2P7Q",
  completedAt: AT,
  amountKes: 1250,
  msisdn: "2547****5678",
  name: "JANE DOE",
  accountNo: "INV-10023",
};
const REVERSAL: StatementFixtureLine = {
  receipt: "TCE5AB12CD",
  completedAt: later(3600),
  amountKes: 1250,
  direction: "out",
  reasonType: "Reversal",
  msisdn: "2547****5678",
  name: "JANE DOE",
  linkedTransactionId: "TCE4XK2P7Q",
};
const FAILED: StatementFixtureLine = {
  receipt: "TCE4XK2P8R",
  completedAt: later(60),
  amountKes: 500,
  status: "Failed",
  msisdn: "254712345678",
  name: "JOHN KAMAU",
};

async function collect(input: StatementInput) {
  const events: StatementEvent[] = [];
  for await (const event of readStatement(input)) events.push(event);
  const meta = events[0]?.type === "meta" ? events[0].meta : undefined;
  const lines = events.flatMap((e) => (e.type === "line" ? [e.line] : []));
  return { events, meta: meta as StatementMeta, lines };
}

const csv = (options: Partial<StatementFileOptions> = {}) =>
  buildStatementCsv({ lines: [PAYMENT, FAILED, REVERSAL], ...options });

describe("readStatement: the modern export with its preamble", () => {
  it("reads account, period and totals from the six preamble rows, then the header on row 7", async () => {
    const { events, meta } = await collect(
      csv({
        accountHolder: "ACME SUPPLIES LIMITED",
        shortCode: "600966",
        from: new Date("2025-02-28T21:00:00Z"),
        to: new Date("2025-03-31T20:59:59Z"),
      }),
    );
    expect(events[0].type).toBe("meta");
    expect(meta).toMatchObject({
      accountHolder: "ACME SUPPLIES LIMITED",
      shortCode: "600966",
      account: "Utility Account",
      periodFrom: new Date("2025-02-28T21:00:00Z"),
      periodTo: new Date("2025-03-31T20:59:59Z"),
      operator: "jkamau",
      reportedAt: new Date("2025-03-31T21:59:59Z"),
      totalPaidInKes: 1250,
      totalWithdrawnKes: 1250,
      layout: "modern13",
      headerRowNumber: 7,
    });
    expect(meta.columns).toHaveLength(13);
    expect(meta.preamble["Opening Balance"]).toBe("100,000.00");
  });

  it("turns each row into a statement line with EAT dates and whole-shilling amounts", async () => {
    const { meta, lines } = await collect(csv());
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      rowNumber: 8,
      receipt: "TCE4XK2P7Q",
      completedAt: AT,
      initiatedAt: later(-4),
      details: "Pay Bill from 2547****5678 - JANE DOE Acc. INV-10023",
      status: "Completed",
      paidInKes: 1250,
      withdrawnKes: 0,
      direction: "in",
      balanceText: "101,250.00",
      reasonType: "Pay Bill Online",
      otherPartyInfo: "2547****5678 - JANE DOE",
      otherPartyMsisdn: { kind: "masked", maskedPrefix: "2547", maskedSuffix: "5678" },
      otherPartyName: "JANE DOE",
      linkedTransactionId: null,
      accountNo: "INV-10023",
    });
    const cell = (name: string) => lines[0].cells[meta.columns.indexOf(name)];
    expect(cell("Paid In")).toBe("1,250.00");
    expect(cell("Balance Confirmed")).toBe("true");
    expect(lines[0].cells).toHaveLength(meta.columns.length);
  });

  it("keeps Failed rows, for the caller to skip and report", async () => {
    const { lines } = await collect(csv());
    expect(lines[1]).toMatchObject({
      status: "Failed",
      paidInKes: 500,
      direction: "in",
      otherPartyMsisdn: { kind: "plain", plain: "254712345678" },
    });
  });

  it("reads a reversal as money out linked to the original receipt", async () => {
    const { lines } = await collect(csv());
    expect(lines[2]).toMatchObject({
      direction: "out",
      withdrawnKes: 1250,
      paidInKes: 0,
      linkedTransactionId: "TCE4XK2P7Q",
      reasonType: "Reversal",
    });
  });

  it("reads the preamble when a row holds label and value in one cell, with or without colons", async () => {
    const text = [
      "Account Holder: ACME LTD",
      "Short Code,600966",
      '"Time Period: From 01-03-2025 00:00:00 To 31-03-2025 23:59:59"',
      '"Operator: jdoe Date of Report: 01-04-2025 09:12:44"',
      "Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn",
      "TCE4XK2P7Q,14-03-2025 10:15:39,Completed,10.00,",
    ].join("\n");
    const { meta, lines } = await collect(text);
    expect(meta).toMatchObject({
      accountHolder: "ACME LTD",
      shortCode: "600966",
      periodFrom: new Date("2025-02-28T21:00:00Z"),
      operator: "jdoe",
      reportedAt: new Date("2025-04-01T06:12:44Z"),
      headerRowNumber: 5,
    });
    expect(lines[0]).toMatchObject({
      rowNumber: 6,
      paidInKes: 10,
      initiatedAt: null,
      accountNo: null,
    });
  });
});

describe("readStatement: tolerated variations", () => {
  it("finds the header on row 1 when the preamble is absent", async () => {
    const { meta, lines } = await collect(csv({ preamble: false }));
    expect(meta).toMatchObject({
      headerRowNumber: 1,
      accountHolder: null,
      shortCode: null,
      periodFrom: null,
      periodTo: null,
      totalPaidInKes: null,
    });
    expect(lines.map((l) => l.rowNumber)).toEqual([2, 3, 4]);
  });

  it.each([
    ["with a preamble", true],
    ["without a preamble", false],
  ])("strips a UTF-8 byte-order mark from a Buffer %s", async (_, preamble) => {
    const bytes = Buffer.from(csv({ preamble, bom: true }), "utf8");
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const { meta, lines } = await collect(
      Readable.from([bytes.subarray(0, 40), bytes.subarray(40)]),
    );
    expect(meta.headerRowNumber).toBe(preamble ? 7 : 1);
    expect(preamble ? meta.accountHolder : lines[0].receipt).toBe(
      preamble ? "ACME SUPPLIES LIMITED" : "TCE4XK2P7Q",
    );
    expect(lines).toHaveLength(3);
  });

  it("reads the 2010 layout: 11 columns, no Initiation Time, Withdrawn before Paid In", async () => {
    const { meta, lines } = await collect(csv({ layout: "legacy11" }));
    expect(meta.layout).toBe("legacy11");
    expect(meta.columns).toHaveLength(11);
    expect(meta.columns.indexOf("Withdrawn")).toBeLessThan(meta.columns.indexOf("Paid In"));
    expect(
      lines.map((l) => [
        l.direction,
        l.paidInKes,
        l.withdrawnKes,
        l.initiatedAt,
        l.linkedTransactionId,
      ]),
    ).toEqual([
      ["in", 1250, 0, null, null],
      ["in", 500, 0, null, null],
      ["out", 0, 1250, null, null],
    ]);
  });

  it.each([
    ["quoted with thousands separators", true],
    ["plain", false],
  ])("reads amounts %s", async (_, quoteThousands) => {
    const big = { ...PAYMENT, receipt: "TCE4XK2P9S", amountKes: 1_234_567 };
    const text = buildStatementCsv({ lines: [big], quoteThousands });
    expect(text.includes('"1,234,567.00"')).toBe(quoteThousands);
    const { lines } = await collect(text);
    expect(lines[0].paidInKes).toBe(1_234_567);
  });

  it.each([
    ["negative", true, "-1,250.00"],
    ["positive", false, "1,250.00"],
  ])("takes the magnitude of a %s Withdrawn", async (_, negativeWithdrawn, cell) => {
    const { meta, lines } = await collect(csv({ negativeWithdrawn }));
    expect(lines[2].cells[meta.columns.indexOf("Withdrawn")]).toBe(cell);
    expect(lines[2]).toMatchObject({ withdrawnKes: 1250, direction: "out" });
  });

  it("finds columns by name whatever their case, spacing or order, and keeps unknown columns raw", async () => {
    const text = [
      "RECEIPT  NO.,paid in,Withdrawn,transaction status,Completion time,Notes",
      'TCE4XK2P7Q,"2,000",,completed,14/03/2025 10:15,hello',
    ].join("\r\n");
    const { meta, lines } = await collect(text);
    expect(meta.layout).toBe("legacy11");
    expect(lines[0]).toMatchObject({
      receipt: "TCE4XK2P7Q",
      paidInKes: 2000,
      status: "Completed",
      completedAt: new Date("2025-03-14T07:15:00Z"),
    });
    expect(meta.columns).toEqual([
      "RECEIPT  NO.",
      "paid in",
      "Withdrawn",
      "transaction status",
      "Completion time",
      "Notes",
    ]);
    expect(lines[0].cells).toEqual([
      "TCE4XK2P7Q",
      "2,000",
      "",
      "completed",
      "14/03/2025 10:15",
      "hello",
    ]);
  });

  it("reads Excel serial-number dates as EAT", async () => {
    // 45730.4275347222 is 14-03-2025 10:15:39 in Excel's day count.
    const line = {
      ...PAYMENT,
      overrides: { "Completion Time": "45730.4275347222", "Initiation Time": "45730.42749" },
    };
    const { lines } = await collect(buildStatementCsv({ lines: [line] }));
    expect(lines[0].completedAt).toEqual(AT);
    expect(lines[0].initiatedAt).toEqual(new Date("2025-03-14T07:15:35Z"));
    expect(parseExcelSerialEat(45730)).toEqual(new Date("2025-03-13T21:00:00Z"));
    expect(parseExcelSerialEat("12")).toBeNull();
    expect(parseExcelSerialEat("20250314101539")).toBeNull();
  });

  it("skips blank rows and a repeated header, and allows a Failed row without a completion time", async () => {
    const failed = { ...FAILED, overrides: { "Completion Time": "" } };
    const text = `${csv({ lines: [PAYMENT] })}\r\n,,,,\r\n${buildStatementCsv({ preamble: false, lines: [failed] })}`;
    const { lines } = await collect(text);
    expect(lines.map((l) => [l.receipt, l.completedAt])).toEqual([
      ["TCE4XK2P7Q", AT],
      ["TCE4XK2P8R", null],
    ]);
  });

  it("stops reading the source when the consumer stops early", async () => {
    let pulled = 0;
    function* endless() {
      yield "Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn\n";
      for (let i = 0; ; i++) {
        pulled += 1;
        yield `R${String(i).padStart(9, "0")},14-03-2025 10:15:39,Completed,10.00,\n`;
      }
    }
    let seen = 0;
    for await (const event of readStatement(endless())) {
      if (event.type === "line" && ++seen === 10) break;
    }
    expect(seen).toBe(10);
    expect(pulled).toBeLessThan(10_000);
  });
});

describe("readStatement: refusing what cannot be imported", () => {
  const refusal = async (input: StatementInput) => {
    const error = await collect(input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StatementFormatError);
    return error as StatementFormatError;
  };

  it("names what it expected and what it found when the file is not a statement", async () => {
    const error = await refusal("name,email\njane,jane@example.com\n");
    expect(error.message).toBe(
      "Expected a header row starting with 'Receipt No.'; the first row was 'name,email'",
    );
    expect(error).toMatchObject({ code: "statement_format", status: 422, rowNumber: null });
  });

  it("says so when the file is empty", async () => {
    expect((await refusal("")).message).toBe(
      "Expected a header row starting with 'Receipt No.'; the file is empty",
    );
  });

  it("gives up after 30 rows without a header instead of reading a large wrong file", async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `row ${i},x\n`);
    expect((await refusal(rows)).message).toContain("the first row was 'row 0,x'");
  });

  it("lists the missing required columns and the header it found", async () => {
    const error = await refusal(
      "Receipt No.,Completion Time,Details\nTCE4XK2P7Q,14-03-2025 10:15:39,x\n",
    );
    expect(error.rowNumber).toBe(1);
    expect(error.message).toBe(
      "Row 1: The header row lacks 'Transaction Status', 'Paid In', 'Withdrawn'; expected columns Receipt No., Completion Time, " +
        "Transaction Status, Paid In, Withdrawn; found 'Receipt No.,Completion Time,Details'",
    );
  });

  it("refuses an Excel workbook with a hint to save it as CSV", async () => {
    const xlsx = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]);
    expect((await refusal(Readable.from([xlsx]))).message).toMatch(
      /Excel workbook \(\.xlsx\).*CSV UTF-8/,
    );
  });

  it("refuses a file holding a NUL byte (PostgreSQL text cannot), anywhere in it", async () => {
    const text = csv({ lines: [PAYMENT] });
    const bytes = Buffer.from(text.replace("TCE4XK2P7Q", "TCE4\u0000K2P7Q"));
    const chunks = [bytes.subarray(0, 20), bytes.subarray(20)];
    expect((await refusal(Readable.from(chunks))).message).toMatch(/NUL byte.*CSV UTF-8/);
    expect((await refusal(text.replace("TCE4XK2P7Q", "TCE4\u0000K2P7Q"))).message).toMatch(/NUL/);
  });

  it("refuses the whole file at a bad date, naming the row and receipt", async () => {
    const bad = {
      ...PAYMENT,
      receipt: "TCE4XK2P9S",
      overrides: { "Completion Time": "31-02-2025 10:15:39" },
    };
    const error = await refusal(csv({ lines: [PAYMENT, bad] }));
    expect(error.rowNumber).toBe(9);
    expect(error.message).toBe(
      "Row 9: 'Completion Time' value '31-02-2025 10:15:39' is not a DD-MM-YYYY HH:mm:ss date (receipt TCE4XK2P9S)",
    );
  });

  it.each([
    [
      "an amount in cents",
      { "Paid In": "12.50" },
      "'Paid In': amount \"12.50\" is not whole shillings",
    ],
    ["text as an amount", { Withdrawn: "n/a" }, "'Withdrawn': amount \"n/a\" is not a number"],
    ["a negative Paid In", { "Paid In": "-60.00" }, "'Paid In' is negative (-60.00)"],
    ["both amounts", { Withdrawn: "-60.00" }, "both 'Paid In' and 'Withdrawn' are set"],
    ["no receipt", { "Receipt No.": " " }, "'Receipt No.' is empty"],
    [
      "a lower-case receipt (a second line for the same money)",
      { "Receipt No.": "tce4xk2p7q" },
      "'Receipt No.' is not an M-Pesa receipt (10 capital letters and digits)",
    ],
    [
      "a receipt with an invisible character",
      { "Receipt No.": "TCE4XK2P7Q\u200b" },
      "'Receipt No.' is not an M-Pesa receipt",
    ],
    ["a formula as a receipt", { "Receipt No.": '=HYPERLINK("x")' }, "is not an M-Pesa receipt"],
    [
      "a number Excel would read as a day of 1900",
      { "Completion Time": "62" },
      "'Completion Time' value '62' is not a date M-Pesa could have written",
    ],
    [
      "a date years ahead",
      { "Completion Time": "01-01-2099 10:00:00" },
      "is not a date M-Pesa could have written",
    ],
    [
      "an amount beyond any transaction (sums would lose shillings)",
      { "Paid In": "9007199254740991" },
      "'Paid In' value '9007199254740991' is more than any M-Pesa transaction",
    ],
    [
      "a malformed Linked Transaction ID",
      { "Linked Transaction ID": "TCE4XK2" },
      "'Linked Transaction ID' value 'TCE4XK2' is not an M-Pesa receipt",
    ],
    ["no status", { "Transaction Status": "" }, "'Transaction Status' is empty"],
    [
      "a Completed row without a completion time",
      { "Completion Time": "" },
      "'Completion Time' is empty on a Completed row",
    ],
  ])("refuses a row with %s", async (_, overrides, message) => {
    const error = await refusal(csv({ lines: [{ ...PAYMENT, overrides }] }));
    expect(error.rowNumber).toBe(8);
    expect(error.message).toContain(message);
  });

  it("refuses a row whose columns shifted under no header", async () => {
    // "1,250.00" unquoted in Withdrawn spills into a sixth cell.
    const text =
      "Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn\nTCE4XK2P7Q,14-03-2025 10:15:39,Completed,,1,250.00\n";
    expect((await refusal(text)).message).toBe(
      "Row 2: has a value in column 6, which has no header: '250.00' (receipt TCE4XK2P7Q)",
    );
  });

  it("refuses a repeated header whose columns are in another order, instead of reading money in as out", async () => {
    const text = [
      "Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn",
      "TCE4XK2P7Q,14-03-2025 10:15:39,Completed,10.00,",
      "Receipt No.,Completion Time,Transaction Status,Withdrawn,Paid In",
      "THB2222222,14-03-2025 11:15:39,Completed,,1250.00",
    ].join("\n");
    const error = await refusal(text);
    expect(error.rowNumber).toBe(3);
    expect(error.message).toBe(
      "Row 3: is a header with other columns than row 1 (Receipt No., Completion Time, Transaction Status, Withdrawn, Paid In): import each export as its own file",
    );
  });

  it("refuses text that is not valid CSV", async () => {
    const text =
      'Receipt No.,Completion Time,Transaction Status,Paid In,Withdrawn\nTCE4XK2P7Q,"14-03-2025 10:15:39,Completed,10.00,\n';
    expect((await refusal(text)).message).toMatch(/^The file is not valid CSV: /);
  });
});

describe("readStatement: a large statement", () => {
  it("streams 50,000 generated lines with bounded memory", async () => {
    const count = 50_000;
    let chunksPulled = 0;
    let chunksAtFirstLine = -1;
    let maxLead = 0;
    function* source() {
      for (const chunk of statementCsvChunks({ lines: generateStatementLines(count, 7) })) {
        chunksPulled += 1;
        yield chunk;
      }
    }

    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const receipts = new Set<string>();
    const totals = { in: 0, out: 0, failed: 0, reversals: 0 };
    for await (const event of readStatement(Readable.from(source()))) {
      if (event.type !== "line") continue;
      const line: StatementLine = event.line;
      if (chunksAtFirstLine < 0) chunksAtFirstLine = chunksPulled;
      // Each source chunk holds 500 lines; how far reading runs ahead of the consumer, in chunks.
      maxLead = Math.max(maxLead, chunksPulled - (receipts.size + 1) / 500);
      receipts.add(line.receipt);
      if (line.status === "Failed") totals.failed += 1;
      else if (line.direction === "in") totals.in += line.paidInKes;
      else totals.out += line.withdrawnKes;
      if (line.linkedTransactionId) totals.reversals += 1;
      if (receipts.size % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }

    // The same seed regenerates the same lines: what was read is what was written.
    const expected = { in: 0, out: 0, failed: 0, reversals: 0 };
    for (const line of generateStatementLines(count, 7)) {
      if (line.status === "Failed") expected.failed += 1;
      else if (line.direction === "out") expected.out += line.amountKes;
      else expected.in += line.amountKes;
      if (line.linkedTransactionId) expected.reversals += 1;
    }
    expect(receipts.size).toBe(count);
    expect(totals).toEqual(expected);
    expect(expected.failed).toBeGreaterThan(0);
    expect(expected.reversals).toBeGreaterThan(0);
    // Streaming: the first line arrives long before the source is drained, and the heap stays flat.
    expect(chunksAtFirstLine).toBeLessThan(5);
    expect(chunksPulled).toBeGreaterThan(count / 500 - 1);
    expect(maxLead).toBeLessThan(10);
    expect(peak - baseline).toBeLessThan(100 * 1024 * 1024);
  });
});
