// Short plain words for an STK ResultCode, wherever a status is shown: "Wrong PIN (2001)",
// "Customer cancelled (1032)". The long reason stays in result-codes.ts (the dashboard's wording);
// Daraja's own ResultDesc ("The initiator information is invalid" for a wrong PIN) is evidence only.
import { classifyStkResult } from "./result-codes";

const SHORT: Record<string, string> = {
  "0": "Paid",
  "1": "Not enough money",
  "2": "Below the M-Pesa minimum",
  "3": "Above the M-Pesa maximum",
  "4": "Over the daily limit",
  "8": "Our account is full",
  "17": "Same amount within 2 minutes",
  "26": "M-Pesa busy",
  "1001": "Customer had a prompt open",
  "1019": "Prompt expired",
  "1025": "Prompt not sent",
  "1031": "Customer cancelled",
  "1032": "Customer cancelled",
  "1036": "Prompt not delivered",
  "1037": "Phone unreachable",
  "2001": "Wrong PIN",
  "2028": "Payment type not allowed",
  "8006": "PIN locked",
  "9999": "M-Pesa error",
  SFC_IC0003: "Till settings wrong",
  E3008: "Not a sandbox test phone",
  "4999": "Still processing",
};

/** "Wrong PIN (2001)"; an unknown code reads as the catalogue's reason with the code. */
export function resultLabel(code: string | number | null | undefined): string | null {
  if (code == null || String(code).trim() === "") return null;
  const text = String(code).trim();
  return `${SHORT[text] ?? classifyStkResult(text).reason} (${text})`;
}

/**
 * A stored status reason in plain words: the writer's "Attempt cancelled (ResultCode 1032)" reads
 * "Customer cancelled (1032)"; any other reason (an amount mismatch, a person's note) is kept.
 */
export function plainReason(reason: string | null | undefined): string | null {
  if (!reason) return null;
  const match = /^Attempt \w+ \(ResultCode ([A-Za-z0-9_]+)\)$/.exec(reason.trim());
  return match ? resultLabel(match[1]) : reason;
}

/** A timeline or evidence line: "ResultCode 2001 — Wrong M-Pesa PIN entered" keeps its words but leads with the short label. */
export function plainSummary(summary: string): string {
  return summary.replace(
    /\bAttempt (\w+) \(ResultCode ([A-Za-z0-9_]+)\)/g,
    (_, __, code: string) => resultLabel(code) ?? "",
  );
}
