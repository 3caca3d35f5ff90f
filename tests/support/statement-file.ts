// Realistic M-PESA org-portal statement CSV (docs/daraja.md#statement-columns) for tests and
// benchmarks: the six preamble rows padded like Excel's CSV export, header on row 7, day-first EAT
// dates, quoted thousands. `statementCsvChunks` yields text in chunks so a 200,000-line file can be
// streamed to disk or a parser.
import { eatParts } from "../../app/lib/time";

export type StatementFixtureLayout = "modern13" | "legacy11";

export type StatementFixtureLine = {
  receipt: string;
  completedAt: Date;
  initiatedAt?: Date;
  amountKes: number;
  direction?: "in" | "out";
  status?: "Completed" | "Failed";
  reasonType?: string;
  details?: string;
  accountNo?: string;
  /** As it should read in Other Party Info: `254712345678` or masked `2547****5678`. */
  msisdn?: string;
  name?: string;
  /** Replaces `<msisdn> - <name>`, e.g. a bank's `600000 - KCB BANK`. */
  otherParty?: string;
  linkedTransactionId?: string;
  /** Raw cell text by header name, for malformed rows (`{ "Completion Time": "31-02-2025 10:00:00" }`). */
  overrides?: Record<string, string>;
};

export type StatementFileOptions = {
  layout?: StatementFixtureLayout;
  preamble?: boolean;
  shortCode?: string;
  accountHolder?: string;
  from?: Date;
  to?: Date;
  /** An array gets true totals in the preamble; a lazy iterable (a benchmark) leaves them blank. */
  lines: Iterable<StatementFixtureLine>;
  quoteThousands?: boolean;
  negativeWithdrawn?: boolean;
  bom?: boolean;
  openingBalanceKes?: number;
};

export const MODERN_HEADER = [
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
// The 2010 export (docs/daraja.md#statement-columns, Mifos importer): no Initiation Time or Linked
// Transaction ID, Withdrawn first.
export const LEGACY_HEADER = [
  "Receipt No.",
  "Completion Time",
  "Details",
  "Transaction Status",
  "Withdrawn",
  "Paid In",
  "Balance",
  "Balance Confirmed",
  "Reason Type",
  "Other Party Info",
  "A/C No.",
];

const pad = (n: number) => String(n).padStart(2, "0");

/** `DD-MM-YYYY HH:mm:ss` in EAT, as the portal writes it. */
export function formatStatementTime(at: Date): string {
  const p = eatParts(at);
  return `${pad(p.day)}-${pad(p.month)}-${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function* statementCsvChunks(options: StatementFileOptions): Generator<string> {
  const header = options.layout === "legacy11" ? LEGACY_HEADER : MODERN_HEADER;
  const quoteThousands = options.quoteThousands ?? true;
  const negativeWithdrawn = options.negativeWithdrawn ?? true;
  const money = (kes: number, sign = 1) => {
    // A regex rather than toLocaleString: this runs a million times for a benchmark file.
    const digits = String(Math.abs(kes));
    const text = quoteThousands ? digits.replace(/\B(?=(\d{3})+$)/g, ",") : digits;
    return `${sign < 0 && kes !== 0 ? "-" : ""}${text}.00`;
  };
  const row = (cells: string[]) => {
    while (cells.length < header.length) cells.push("");
    return `${cells.map(csvCell).join(",")}\r\n`;
  };

  const opening = options.openingBalanceKes ?? 100_000;
  let chunk = options.bom ? "\uFEFF" : "";
  if (options.preamble ?? true) {
    const from = options.from ?? new Date("2025-02-28T21:00:00Z");
    const to = options.to ?? new Date("2025-03-31T20:59:59Z");
    let paidIn: string = "";
    let withdrawn: string = "";
    let closing: string = "";
    if (Array.isArray(options.lines)) {
      const booked = (options.lines as StatementFixtureLine[]).filter(
        (l) => (l.status ?? "Completed") === "Completed",
      );
      const inKes = booked
        .filter((l) => l.direction !== "out")
        .reduce((sum, l) => sum + l.amountKes, 0);
      const outKes = booked
        .filter((l) => l.direction === "out")
        .reduce((sum, l) => sum + l.amountKes, 0);
      [paidIn, withdrawn, closing] = [
        money(inKes),
        money(outKes, negativeWithdrawn ? -1 : 1),
        money(opening + inKes - outKes),
      ];
    }
    chunk += row(["Account Holder:", options.accountHolder ?? "ACME SUPPLIES LIMITED"]);
    chunk += row(["Short Code:", options.shortCode ?? "600966"]);
    chunk += row(["Account:", "Utility Account"]);
    chunk += row([
      "Time Period:",
      "",
      `From ${formatStatementTime(from)}`,
      "",
      `To ${formatStatementTime(to)}`,
    ]);
    chunk += row([
      "Operator:",
      "jkamau",
      "",
      "",
      "Date of Report:",
      formatStatementTime(new Date(to.getTime() + 3_600_000)),
    ]);
    chunk += row([
      "Opening Balance:",
      money(opening),
      "Closing Balance:",
      closing,
      "Available Balance:",
      closing,
      "Total Paid In:",
      paidIn,
      "Total Withdrawn:",
      withdrawn,
    ]);
  }
  chunk += row([...header]);

  let balance = opening;
  let count = 0;
  for (const line of options.lines) {
    const out = line.direction === "out";
    const completed = (line.status ?? "Completed") === "Completed";
    if (completed) balance += out ? -line.amountKes : line.amountKes;
    const party =
      line.otherParty ?? (line.msisdn ? `${line.msisdn} - ${line.name ?? "JANE DOE"}` : "");
    const cells: Record<string, string> = {
      "Receipt No.": line.receipt,
      "Completion Time": formatStatementTime(line.completedAt),
      "Initiation Time": formatStatementTime(
        line.initiatedAt ?? new Date(line.completedAt.getTime() - 4_000),
      ),
      Details:
        line.details ??
        (out
          ? `Pay Bill Reversal to ${party}`
          : `Pay Bill from ${party} Acc. ${line.accountNo ?? ""}`.trim()),
      "Transaction Status": line.status ?? "Completed",
      "Paid In": out ? "" : money(line.amountKes),
      Withdrawn: out ? money(line.amountKes, negativeWithdrawn ? -1 : 1) : "",
      Balance: money(balance),
      "Balance Confirmed": "true",
      "Reason Type": line.reasonType ?? (out ? "Reversal" : "Pay Bill Online"),
      "Other Party Info": party,
      "Linked Transaction ID": line.linkedTransactionId ?? "",
      "A/C No.": line.accountNo ?? "",
      ...line.overrides,
    };
    chunk += row(header.map((name) => cells[name] ?? ""));
    // ~64 KB chunks: big enough to be cheap, small enough that nothing is held in full.
    if (++count % 500 === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

export function buildStatementCsv(options: StatementFileOptions): string {
  return [...statementCsvChunks(options)].join("");
}

// mulberry32: tiny, seedable, good enough for fixtures.
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const RECEIPT_SPACE = 36 ** 7;

/**
 * A receipt in the observed pattern (docs/daraja.md#stk-callback-body): year letter (L = 2017),
 * month letter, day character, then seven characters that are unique per `serial` (an affine
 * permutation of 36^7).
 */
export function fixtureReceipt(at: Date, serial: number): string {
  const p = eatParts(at);
  const year = String.fromCharCode(76 + p.year - 2017);
  const month = String.fromCharCode(64 + p.month);
  const day = p.day <= 9 ? String(p.day) : String.fromCharCode(55 + p.day);
  // Two affine rounds (multipliers coprime to 36, products below 2^53) scatter neighbouring serials.
  const once = ((serial % RECEIPT_SPACE) * 48_271 + 1_234_567_891) % RECEIPT_SPACE;
  const tail = (once * 69_621 + 987_654_321) % RECEIPT_SPACE;
  return `${year}${month}${day}${tail.toString(36).toUpperCase().padStart(7, "0")}`;
}

const FIRST = [
  "JANE",
  "JOHN",
  "MARY",
  "PETER",
  "GRACE",
  "JAMES",
  "FAITH",
  "DAVID",
  "MERCY",
  "BRIAN",
  "WANJIRU",
  "OTIENO",
];
const LAST = [
  "DOE",
  "KAMAU",
  "OCHIENG",
  "WANJIKU",
  "MUTUA",
  "NJOROGE",
  "AKINYI",
  "KIPROTICH",
  "MWANGI",
  "ODHIAMBO",
];
const PAY_IN = [
  ["Pay Bill Online", 0.66],
  ["Pay Utility", 0.18],
  ["Pay Utility with OD via STK", 0.06],
  ["Pay Utility with OD Online", 0.05],
  ["Standing Order Pay Bill", 0.05],
] as const;

/**
 * Deterministic lines for a busy paybill: mostly Completed payments in, ~3% Failed, ~2% reversals
 * linked to an earlier receipt, ~0.5% settlement sweeps to a bank. Times rise from `start`.
 */
export function* generateStatementLines(
  count: number,
  seed = 1,
  start = new Date("2025-02-28T21:00:00Z"),
): Generator<StatementFixtureLine> {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)];
  const reversible: { receipt: string; amountKes: number; msisdn: string; name: string }[] = [];
  let at = start.getTime();
  for (let i = 0; i < count; i++) {
    at += 1_000 + Math.floor(rand() * 20_000);
    const completedAt = new Date(at);
    const receipt = fixtureReceipt(completedAt, i + seed * 7_919);
    const digits = `${rand() < 0.9 ? "7" : "1"}${String(Math.floor(rand() * 1e8)).padStart(8, "0")}`;
    const msisdn =
      rand() < 0.85 ? `254${digits.slice(0, 1)}****${digits.slice(-4)}` : `254${digits}`;
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const roll = rand();

    if (roll < 0.02 && reversible.length > 0) {
      const original = reversible.splice(Math.floor(rand() * reversible.length), 1)[0];
      yield {
        receipt,
        completedAt,
        amountKes: original.amountKes,
        direction: "out",
        reasonType: "Reversal",
        msisdn: original.msisdn,
        name: original.name,
        linkedTransactionId: original.receipt,
      };
      continue;
    }
    if (roll < 0.025) {
      yield {
        receipt,
        completedAt,
        amountKes: 50_000 + Math.floor(rand() * 450_000),
        direction: "out",
        reasonType: "Utility Account to Organization Settlement Account",
        otherParty: "600100 - KCB BANK KENYA",
        details: "Utility Account to Organization Settlement Account",
      };
      continue;
    }
    // Mostly tens to a few thousand shillings, occasionally six figures: exercises the thousands separator.
    const amountKes = Math.max(1, Math.round(10 ** (1 + rand() * 3.2) * (rand() < 0.01 ? 40 : 1)));
    const invoice = 10_000 + Math.floor(rand() * 90_000);
    // Customers type account numbers by hand on USSD: case and spacing vary.
    const accountNo =
      rand() < 0.8 ? `INV-${invoice}` : rand() < 0.5 ? `inv ${invoice}` : ` Inv-${invoice} `;
    let r = rand();
    const reasonType = PAY_IN.find(([, share]) => (r -= share) < 0)?.[0] ?? "Pay Bill Online";
    const status = roll > 0.97 ? "Failed" : "Completed";
    if (status === "Completed" && reversible.length < 64)
      reversible.push({ receipt, amountKes, msisdn, name });
    yield { receipt, completedAt, amountKes, status, reasonType, msisdn, name, accountNo };
  }
}
