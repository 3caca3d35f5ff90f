// Reads an M-PESA org-portal statement export (CSV) into statement lines, as a stream:
// docs/daraja.md#statement-columns (columns by header name, preamble, day-first EAT dates, quoted
// thousands, signed Withdrawn, failed rows, the 11-column legacy layout). Server-only: its CSV records
// come from csv-records.server.ts. Usage: `for await (const event of
// readStatement(fileStream))` — one `meta` event, then one `line` event per transaction, pulled on
// demand, so a caller can insert batches with bounded memory.
import { CsvError } from "csv-parse";
import { parseKesAmount } from "~/lib/money";
import { parseDayFirstEat, parseExcelSerialEat } from "~/lib/time";
import { type MsisdnWitness } from "./c2b-parse";
import { parseOtherPartyInfo } from "./other-party";
import { RECEIPT_PATTERN } from "../ledger/transitions";
import { csvRecords } from "./csv-records.server";
import { checkedChunks, StatementFormatError, type StatementInput } from "./statement-input.server";

export { StatementFormatError, type StatementInput } from "./statement-input.server";

export type StatementLayout = "modern13" | "legacy11";

export type StatementMeta = {
  accountHolder: string | null;
  shortCode: string | null;
  account: string | null;
  periodFrom: Date | null;
  periodTo: Date | null;
  operator: string | null;
  reportedAt: Date | null;
  totalPaidInKes: number | null;
  totalWithdrawnKes: number | null;
  /** Every `Label: value` pair found above the header, verbatim (balances stay text here). */
  preamble: Record<string, string>;
  layout: StatementLayout;
  columns: string[];
  headerRowNumber: number;
};

export type StatementStatus = "Completed" | "Failed" | (string & {});

export type StatementLine = {
  /** The CSV record number counted from the top of the file, which is the row number Excel shows. */
  rowNumber: number;
  receipt: string;
  completedAt: Date | null;
  initiatedAt: Date | null;
  details: string;
  status: StatementStatus;
  paidInKes: number;
  withdrawnKes: number;
  direction: "in" | "out";
  balanceText: string;
  reasonType: string;
  otherPartyInfo: string;
  otherPartyMsisdn: MsisdnWitness;
  otherPartyName: string | null;
  linkedTransactionId: string | null;
  accountNo: string | null;
  /** Every named column's cell as the file has it, in the order of the statement's `columns`. */
  cells: string[];
};

export type StatementEvent =
  { type: "meta"; meta: StatementMeta } | { type: "line"; line: StatementLine };

const COLUMNS = {
  receipt: "Receipt No.",
  completionTime: "Completion Time",
  initiationTime: "Initiation Time",
  details: "Details",
  status: "Transaction Status",
  paidIn: "Paid In",
  withdrawn: "Withdrawn",
  balance: "Balance",
  reasonType: "Reason Type",
  otherPartyInfo: "Other Party Info",
  linkedTransactionId: "Linked Transaction ID",
  accountNo: "A/C No.",
} as const;
type ColumnKey = keyof typeof COLUMNS;
const REQUIRED: ColumnKey[] = ["receipt", "completionTime", "status", "paidIn", "withdrawn"];

// The Excel export puts ~6 preamble rows above the header; allow generous slack before giving up.
const MAX_PREAMBLE_ROWS = 30;
// An M-PESA statement has 11 or 13 columns and rows of a few hundred bytes. Far past that a file is not
// a statement, and every line's raw cells (a copy per named column) would grow with the header's width.
const MAX_HEADER_CELLS = 64;
const MAX_ROW_BYTES = 64 * 1024;

type Header = { names: string[]; index: Partial<Record<ColumnKey, number>>; rowNumber: number };

export async function* readStatement(
  input: StatementInput,
): AsyncGenerator<StatementEvent, void, undefined> {
  let rowNumber = 0;
  let header: Header | null = null;
  const preamble: string[][] = [];
  try {
    // Rows have different widths (preamble vs table), and free-text Details may hold stray quotes.
    for await (const records of csvRecords(checkedChunks(input), MAX_ROW_BYTES))
      for (const record of records) {
        rowNumber += 1;
        if (header === null) {
          if (normalizeName(record[0] ?? "") === normalizeName(COLUMNS.receipt)) {
            header = readHeader(record, rowNumber);
            yield { type: "meta", meta: readMeta(preamble, header) };
          } else if (rowNumber > MAX_PREAMBLE_ROWS) {
            throw missingHeader(preamble);
          } else {
            preamble.push(record);
          }
          continue;
        }
        // Blank spacer rows and a repeated header (two exports pasted together) carry no transaction.
        if (record.every((cell) => cell.trim() === "")) continue;
        if (normalizeName(record[0] ?? "") === normalizeName(COLUMNS.receipt)) {
          checkRepeatedHeader(record, header, rowNumber);
          continue;
        }
        yield { type: "line", line: readLine(record, header, rowNumber) };
      }
  } catch (error) {
    if (error instanceof CsvError)
      throw new StatementFormatError(`The file is not valid CSV: ${error.message}`);
    throw error;
  }
  if (header === null) throw missingHeader(preamble);
}

// "Receipt No." / "receipt no" / "RECEIPT  NO." all name the same column.
export function normalizeName(text: string): string {
  return text
    .replace(/^\uFEFF/, "")
    .toLowerCase()
    .replace(/[\s.:]/g, "");
}

function missingHeader(rows: string[][]): StatementFormatError {
  const first = rows.find((row) => row.some((cell) => cell.trim() !== ""));
  const found = first ? `the first row was '${preview(first)}'` : "the file is empty";
  return new StatementFormatError(
    `Expected a header row starting with '${COLUMNS.receipt}'; ${found}`,
  );
}

function preview(row: string[]): string {
  const cells = row.map((cell) => cell.trim());
  while (cells.length > 1 && cells[cells.length - 1] === "") cells.pop();
  const text = cells.join(",");
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

// A second export pasted below the first may order its columns otherwise (the 2010 layout has
// Withdrawn before Paid In): reading its rows by the first header would swap money in and out.
function checkRepeatedHeader(record: string[], header: Header, rowNumber: number): void {
  const names = record.map(normalizeName);
  while (names.length > 0 && names[names.length - 1] === "") names.pop();
  const first = header.names.map(normalizeName);
  if (names.length === first.length && names.every((name, i) => name === first[i])) return;
  const found = record
    .map((cell) => cell.trim())
    .filter(Boolean)
    .join(", ");
  throw new StatementFormatError(
    `is a header with other columns than row ${header.rowNumber} (${found}): import each export as its own file`,
    rowNumber,
  );
}

function readHeader(record: string[], rowNumber: number): Header {
  // Excel pads rows with empty cells out to the sheet's used width: only named cells count.
  let width = record.length;
  while (width > 0 && record[width - 1].trim() === "") width -= 1;
  if (width > MAX_HEADER_CELLS)
    throw new StatementFormatError(
      `The header row has ${width} cells; an M-PESA statement has 11 or 13 columns. Is this the statement file?`,
      rowNumber,
    );
  const names = record.slice(0, width).map((cell) => cell.replace(/^\uFEFF/, "").trim());
  const index: Partial<Record<ColumnKey, number>> = {};
  for (const key of Object.keys(COLUMNS) as ColumnKey[]) {
    const at = names.findIndex((name) => normalizeName(name) === normalizeName(COLUMNS[key]));
    if (at >= 0) index[key] = at;
  }
  const missing = REQUIRED.filter((key) => index[key] === undefined).map(
    (key) => `'${COLUMNS[key]}'`,
  );
  if (missing.length > 0) {
    const expected = REQUIRED.map((key) => COLUMNS[key]).join(", ");
    throw new StatementFormatError(
      `The header row lacks ${missing.join(", ")}; expected columns ${expected}; found '${preview(names)}'`,
      rowNumber,
    );
  }
  return { names, index, rowNumber };
}

const PREAMBLE_LABELS = [
  "Account Holder",
  "Short Code",
  "Account",
  "Time Period",
  "Operator",
  "Date of Report",
  "Opening Balance",
  "Closing Balance",
  "Available Balance",
  "Total Paid In",
  "Total Withdrawn",
];
// Longest first, so "Account Holder:" is never read as "Account:" followed by "Holder".
const LABEL = new RegExp(
  `(?:^|\\s)(${[...PREAMBLE_LABELS].sort((a, b) => b.length - a.length).join("|")})\\s*:`,
  "gi",
);

// The preamble comes as label and value in neighbouring cells ("Account Holder:", "ACME") or in one
// cell ("Operator: jdoe Date of Report: 01-04-2025 09:12:44"); joining a row's cells reads both.
function readMeta(rows: string[][], header: Header): StatementMeta {
  const preamble: Record<string, string> = {};
  const texts: string[] = [];
  for (const row of rows) {
    const cells = row.map((cell) => cell.replace(/^\uFEFF/, "").trim()).filter(Boolean);
    const text = cells
      .map((cell) =>
        PREAMBLE_LABELS.some((l) => l.toLowerCase() === cell.toLowerCase()) ? `${cell}:` : cell,
      )
      .join(" ");
    texts.push(text);
    const matches = [...text.matchAll(LABEL)];
    matches.forEach((match, i) => {
      const label =
        PREAMBLE_LABELS.find((l) => l.toLowerCase() === match[1].toLowerCase()) ?? match[1];
      const end = i + 1 < matches.length ? matches[i + 1].index : text.length;
      preamble[label] ??= text.slice(match.index + match[0].length, end).trim();
    });
  }
  const period = /From\s+(.+?)\s+To\s+(.+)$/i.exec(
    preamble["Time Period"] ?? texts.find((t) => /From\s.+\sTo\s/i.test(t)) ?? "",
  );
  const text = (label: string) => preamble[label] || null;
  const total = (label: string) => {
    const amount = parseKesAmount(preamble[label] ?? "");
    return amount.ok ? Math.abs(amount.kes) : null;
  };
  return {
    accountHolder: text("Account Holder"),
    shortCode: text("Short Code"),
    account: text("Account"),
    periodFrom: period ? parseStatementTime(period[1]) : null,
    periodTo: period ? parseStatementTime(period[2]) : null,
    operator: text("Operator"),
    reportedAt: preamble["Date of Report"] ? parseStatementTime(preamble["Date of Report"]) : null,
    totalPaidInKes: total("Total Paid In"),
    totalWithdrawnKes: total("Total Withdrawn"),
    preamble,
    layout: header.index.initiationTime === undefined ? "legacy11" : "modern13",
    columns: header.names.filter(Boolean),
    headerRowNumber: header.rowNumber,
  };
}

// Day-first EAT text as the portal writes it, or the serial number Excel stores when re-saved
// (docs/daraja.md#statement-columns).
function parseStatementTime(text: string): Date | null {
  return parseDayFirstEat(text) ?? parseExcelSerialEat(text);
}

// readLine runs once per line (a million for a big file): its helpers are plain functions over one
// small object, not closures made again for every line.
type Row = { record: string[]; header: Header; receipt: string; rowNumber: number };

function cellOf(row: Omit<Row, "receipt" | "rowNumber">, key: ColumnKey): string {
  const at = row.header.index[key];
  return at === undefined ? "" : (row.record[at] ?? "").trim();
}

function refuse(row: Row, message: string): StatementFormatError {
  const text = row.receipt ? `${message} (receipt ${row.receipt})` : message;
  return new StatementFormatError(text, row.rowNumber);
}

// M-Pesa opened in March 2007; a line from before it, or from after tomorrow, is a mangled cell (a
// small number Excel read as a day of 1900), and one such date would stretch the period the
// missing-from-statement check reads over decades.
const FIRST_MPESA_DAY = Date.UTC(2007, 2, 1);
const DAY_MS = 86_400_000;
// Far above any single M-Pesa transaction, and low enough that a million lines still add up exactly
// in a JavaScript number.
const MAX_LINE_KES = 1_000_000_000;

function timeOf(row: Row, key: "completionTime" | "initiationTime"): Date | null {
  const text = cellOf(row, key);
  if (text === "") return null;
  const at = parseStatementTime(text);
  if (!at) throw refuse(row, `'${COLUMNS[key]}' value '${text}' is not a DD-MM-YYYY HH:mm:ss date`);
  if (at.getTime() < FIRST_MPESA_DAY || at.getTime() > Date.now() + DAY_MS)
    throw refuse(row, `'${COLUMNS[key]}' value '${text}' is not a date M-Pesa could have written`);
  return at;
}

function amountOf(row: Row, key: "paidIn" | "withdrawn"): number {
  const text = cellOf(row, key);
  if (text === "") return 0;
  const parsed = parseKesAmount(text);
  if (!parsed.ok) throw refuse(row, `'${COLUMNS[key]}': ${parsed.reason}`);
  if (Math.abs(parsed.kes) > MAX_LINE_KES)
    throw refuse(row, `'${COLUMNS[key]}' value '${text}' is more than any M-Pesa transaction`);
  return parsed.kes;
}

function readLine(record: string[], header: Header, rowNumber: number): StatementLine {
  const receipt = cellOf({ record, header }, "receipt");
  const row: Row = { record, header, receipt, rowNumber };

  // A value under no header means a comma slipped into an unquoted field and every column after it moved.
  for (let i = 0; i < record.length; i++) {
    const value = header.names[i] ? "" : record[i].trim();
    if (value !== "")
      throw refuse(row, `has a value in column ${i + 1}, which has no header: '${value}'`);
  }
  if (receipt === "") throw refuse(row, `'${COLUMNS.receipt}' is empty`);
  // The receipt is the line's identity (one line per receipt and status, matched to payments by it):
  // a lower-case or padded copy would be a second line for the same money.
  if (!RECEIPT_PATTERN.test(receipt))
    throw refuse(
      row,
      `'${COLUMNS.receipt}' is not an M-Pesa receipt (10 capital letters and digits)`,
    );
  const linked = cellOf(row, "linkedTransactionId");
  if (linked !== "" && !RECEIPT_PATTERN.test(linked))
    throw refuse(
      row,
      `'${COLUMNS.linkedTransactionId}' value '${linked}' is not an M-Pesa receipt (10 capital letters and digits)`,
    );

  const statusText = cellOf(row, "status");
  if (statusText === "") throw refuse(row, `'${COLUMNS.status}' is empty`);
  const status = /^completed$/i.test(statusText)
    ? "Completed"
    : /^failed$/i.test(statusText)
      ? "Failed"
      : statusText;

  const completedAt = timeOf(row, "completionTime");
  const initiatedAt = timeOf(row, "initiationTime");
  // Failed rows may lack a completion time, but a booked payment must say when it happened.
  if (status === "Completed" && completedAt === null)
    throw refuse(row, `'${COLUMNS.completionTime}' is empty on a Completed row`);

  const paidIn = amountOf(row, "paidIn");
  // Withdrawn is signed in some exports and not in others (docs/daraja.md#statement-columns): the
  // column gives the direction.
  const withdrawnKes = Math.abs(amountOf(row, "withdrawn"));
  // A negative Paid In or a row with both amounts has no known meaning; booking a guess would corrupt totals.
  if (paidIn < 0) throw refuse(row, `'${COLUMNS.paidIn}' is negative (${cellOf(row, "paidIn")})`);
  if (paidIn > 0 && withdrawnKes > 0)
    throw refuse(row, `both '${COLUMNS.paidIn}' and '${COLUMNS.withdrawn}' are set`);

  const cells: string[] = [];
  for (let i = 0; i < header.names.length; i++) if (header.names[i]) cells.push(record[i] ?? "");
  const otherPartyInfo = cellOf(row, "otherPartyInfo");
  const otherParty = parseOtherPartyInfo(otherPartyInfo);
  return {
    rowNumber,
    receipt,
    completedAt,
    initiatedAt,
    details: cellOf(row, "details"),
    status,
    paidInKes: paidIn,
    withdrawnKes,
    direction: withdrawnKes > 0 ? "out" : "in",
    balanceText: cellOf(row, "balance"),
    reasonType: cellOf(row, "reasonType"),
    otherPartyInfo,
    otherPartyMsisdn: otherParty.msisdn,
    otherPartyName: otherParty.name,
    linkedTransactionId: linked || null,
    accountNo: cellOf(row, "accountNo") || null,
    cells,
  };
}
