// Writes an M-PESA org-portal statement CSV (the current 13-column layout, see
// docs/statement-format.md): the six preamble rows, the header on row 7, day-first EAT times. Used
// for the demo data and the sample file the import page offers; pure, so it runs anywhere.
import { eatParts } from "../../lib/time";

export type StatementCsvLine = {
  receipt: string;
  completedAt: Date;
  amountKes: number;
  /** "2547****5678 - JANE DOE", or a bank's "600000 - KCB BANK". */
  otherParty: string;
  accountNo?: string;
  reasonType?: string;
};

const HEADER = [
  "Receipt No.",
  "Completion Time",
  "Initiation Time",
  "Details",
  "Transaction Status",
  "Paid In",
  "Withdrawn",
  "Balance",
  "Balance Confirmed",
  "Reason Type",
  "Other Party Info",
  "Linked Transaction ID",
  "A/C No.",
];

const pad = (n: number) => String(n).padStart(2, "0");
/** `DD-MM-YYYY HH:mm:ss` in EAT, as the portal writes it. */
export function statementTime(at: Date): string {
  const p = eatParts(at);
  return `${pad(p.day)}-${pad(p.month)}-${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}
const money = (kes: number) => `${String(kes).replace(/\B(?=(\d{3})+$)/g, ",")}.00`;
const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
const row = (cells: string[]) => {
  while (cells.length < HEADER.length) cells.push("");
  return `${cells.map(cell).join(",")}\r\n`;
};

export function buildStatementCsv(input: {
  shortCode: string;
  accountHolder: string;
  from: Date;
  to: Date;
  openingBalanceKes: number;
  lines: StatementCsvLine[];
}): string {
  const lines = [...input.lines].sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
  const paidIn = lines.reduce((n, l) => n + l.amountKes, 0);
  const closing = input.openingBalanceKes + paidIn;
  let text = row(["Account Holder:", input.accountHolder]);
  text += row(["Short Code:", input.shortCode]);
  text += row(["Account:", "Utility Account"]);
  text += row([
    "Time Period:",
    "",
    `From ${statementTime(input.from)}`,
    "",
    `To ${statementTime(input.to)}`,
  ]);
  text += row(["Operator:", "demo", "", "", "Date of Report:", statementTime(input.to)]);
  text += row([
    "Opening Balance:",
    money(input.openingBalanceKes),
    "Closing Balance:",
    money(closing),
    "Available Balance:",
    money(closing),
    "Total Paid In:",
    money(paidIn),
    "Total Withdrawn:",
    "0.00",
  ]);
  text += row([...HEADER]);
  let balance = input.openingBalanceKes;
  for (const l of lines) {
    balance += l.amountKes;
    text += row([
      l.receipt,
      statementTime(l.completedAt),
      statementTime(new Date(l.completedAt.getTime() - 4_000)),
      `Pay Bill from ${l.otherParty} Acc. ${l.accountNo ?? ""}`.trim(),
      "Completed",
      money(l.amountKes),
      "",
      money(balance),
      "true",
      l.reasonType ?? "Pay Bill Online",
      l.otherParty,
      "",
      l.accountNo ?? "",
    ]);
  }
  return text;
}

/** The sample file the import page offers (and docs/sample-statement.csv): one day, three receipts. */
export function sampleStatementCsv(): string {
  const at = (hh: number, mm: number) => new Date(Date.UTC(2025, 2, 14, hh - 3, mm, 12));
  return buildStatementCsv({
    shortCode: "174379",
    accountHolder: "DEMO MERCHANT LIMITED",
    from: new Date(Date.UTC(2025, 2, 13, 21, 0, 0)),
    to: new Date(Date.UTC(2025, 2, 14, 20, 59, 59)),
    openingBalanceKes: 25_000,
    lines: [
      {
        receipt: "TCE4XK2P7Q",
        completedAt: at(9, 14),
        amountKes: 1_250,
        otherParty: "2547****5678 - JANE WANJIRU",
        accountNo: "INV1001",
      },
      {
        receipt: "TCE5AB3R8M",
        completedAt: at(11, 2),
        amountKes: 600,
        otherParty: "2547****0111 - PETER OTIENO",
        accountNo: "INV1002",
      },
      {
        receipt: "TCE6CD4S9N",
        completedAt: at(15, 47),
        amountKes: 3_400,
        otherParty: "2547****9911 - DAVID MWANGI",
        accountNo: "SHOP",
        reasonType: "Pay Bill",
      },
    ],
  });
}
