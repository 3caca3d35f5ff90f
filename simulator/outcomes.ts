// The test-number table: which MSISDN produces which Daraja behaviour. Plain data so the app's
// README and tests can import it; `prompts.ts` is its only interpreter. Codes and texts follow
// docs/daraja.md#result-codes (the sandbox says "No response from user." where production says "DS
// timeout…").

export interface StkResult {
  code: number;
  desc: string;
}

export const RESULTS = {
  paid: { code: 0, desc: "The service request is processed successfully." },
  insufficientFunds: { code: 1, desc: "The balance is insufficient for the transaction." },
  ruleLimited: { code: 17, desc: "Rule limited." },
  cancelled: { code: 1032, desc: "Request Cancelled by user." },
  unreachable: { code: 1037, desc: "DS timeout user cannot be reached." },
  noResponse: { code: 1037, desc: "No response from user." },
  wrongPin: { code: 2001, desc: "The initiator information is invalid." },
  productMismatch: {
    code: 2028,
    desc: "The request is not permitted according to product assignment.",
  },
} as const satisfies Record<string, StkResult>;

export const OUTCOME_NAMES = [
  "paid",
  "cancelled",
  "unreachable",
  "insufficient_funds",
  "wrong_pin",
  "lost_callback",
  "duplicate_callback",
  "conflicting_callback",
  "wrong_amount",
  "late_success",
  "pending_4999",
  "never",
  "busy",
  "hang",
  "no_answer",
  "handset",
  "rule_limited",
  "product_mismatch",
  "scripted",
] as const;

export type OutcomeName = (typeof OUTCOME_NAMES)[number];

export interface OutcomeSpec {
  /** What the push request itself answers. */
  push: "accepted" | "busy" | "hang";
  /** When the prompt gets its result. */
  settles: "after_latency" | "after_prompt_timeout" | "on_handset" | "never";
  /** The final truth the query reports; null while nothing is decided. */
  result: StkResult | null;
  callbacks: "once" | "none" | "twice" | "then_conflict" | "failure_then_late_success";
  /** How STK Query describes the prompt while it is still pending (docs/daraja.md#stk-query). */
  pendingQuery: "being_processed" | "4999";
  /** The customer pays a different amount than was asked for. */
  paysShort?: true;
}

const scheduled = (result: StkResult | null, extra: Partial<OutcomeSpec> = {}): OutcomeSpec => ({
  push: "accepted",
  settles: "after_latency",
  result,
  callbacks: "once",
  pendingQuery: "being_processed",
  ...extra,
});

export const OUTCOMES: Record<OutcomeName, OutcomeSpec> = {
  paid: scheduled(RESULTS.paid),
  cancelled: scheduled(RESULTS.cancelled),
  unreachable: scheduled(RESULTS.unreachable),
  insufficient_funds: scheduled(RESULTS.insufficientFunds),
  wrong_pin: scheduled(RESULTS.wrongPin),
  lost_callback: scheduled(RESULTS.paid, { callbacks: "none" }),
  duplicate_callback: scheduled(RESULTS.paid, { callbacks: "twice" }),
  conflicting_callback: scheduled(RESULTS.paid, { callbacks: "then_conflict" }),
  wrong_amount: scheduled(RESULTS.paid, { paysShort: true }),
  late_success: scheduled(RESULTS.paid, { callbacks: "failure_then_late_success" }),
  pending_4999: scheduled(RESULTS.paid, { pendingQuery: "4999" }),
  never: scheduled(null, { settles: "never", callbacks: "none" }),
  busy: scheduled(null, { push: "busy", settles: "never", callbacks: "none" }),
  hang: scheduled(RESULTS.paid, { push: "hang" }),
  no_answer: scheduled(RESULTS.noResponse, { settles: "after_prompt_timeout" }),
  handset: scheduled(null, { settles: "on_handset" }),
  rule_limited: scheduled(RESULTS.ruleLimited),
  product_mismatch: scheduled(RESULTS.productMismatch),
  // A scenario script (script.ts) drives the prompt; forced without one it never settles.
  scripted: scheduled(null, { settles: "never", callbacks: "none" }),
};

/** Outcome → its test MSISDN, for tests that think in behaviours rather than numbers. */
export const TEST_PHONE = {
  paid: "254708000001",
  cancelled: "254708000002",
  unreachable: "254708000003",
  insufficient_funds: "254708000004",
  wrong_pin: "254708000005",
  lost_callback: "254708000006",
  duplicate_callback: "254708000007",
  conflicting_callback: "254708000008",
  wrong_amount: "254708000009",
  late_success: "254708000010",
  pending_4999: "254708000011",
  never: "254708000012",
  busy: "254708000013",
  hang: "254708000014",
  no_answer: "254708374149",
} as const satisfies Partial<Record<OutcomeName, string>>;

export interface TestNumber {
  phone: string;
  outcome: OutcomeName;
  behaviour: string;
}

export const TEST_NUMBERS: readonly TestNumber[] = [
  { phone: TEST_PHONE.paid, outcome: "paid", behaviour: "pays after the latency (ResultCode 0)" },
  {
    phone: TEST_PHONE.cancelled,
    outcome: "cancelled",
    behaviour: 'cancels: 1032 "Request Cancelled by user."',
  },
  {
    phone: TEST_PHONE.unreachable,
    outcome: "unreachable",
    behaviour: 'unreachable: 1037 "DS timeout user cannot be reached."',
  },
  {
    phone: TEST_PHONE.insufficient_funds,
    outcome: "insufficient_funds",
    behaviour: 'insufficient funds: 1 "The balance is insufficient for the transaction."',
  },
  {
    phone: TEST_PHONE.wrong_pin,
    outcome: "wrong_pin",
    behaviour: 'wrong PIN: 2001 "The initiator information is invalid."',
  },
  {
    phone: TEST_PHONE.lost_callback,
    outcome: "lost_callback",
    behaviour: "pays, but the callback is never sent; the query knows ResultCode 0",
  },
  {
    phone: TEST_PHONE.duplicate_callback,
    outcome: "duplicate_callback",
    behaviour: "pays, callback delivered twice (identical bodies)",
  },
  {
    phone: TEST_PHONE.conflicting_callback,
    outcome: "conflicting_callback",
    behaviour: "pays, then a second callback with ResultCode 1032 for the same CheckoutRequestID",
  },
  {
    phone: TEST_PHONE.wrong_amount,
    outcome: "wrong_amount",
    behaviour: "pays a different amount: callback Amount = requested − 1 (2 when 1 was requested)",
  },
  {
    phone: TEST_PHONE.late_success,
    outcome: "late_success",
    behaviour: "1037 callback first, then a success callback after lateDelayMs",
  },
  {
    phone: TEST_PHONE.pending_4999,
    outcome: "pending_4999",
    behaviour: 'pays; while pending the query answers HTTP 200 ResultCode "4999"',
  },
  {
    phone: TEST_PHONE.never,
    outcome: "never",
    behaviour: 'never resolves: no callback, the query says "being processed" forever',
  },
  {
    phone: TEST_PHONE.busy,
    outcome: "busy",
    behaviour: 'the push answers 500 500.003.02 "System is busy. Please try again in few minutes."',
  },
  {
    phone: TEST_PHONE.hang,
    outcome: "hang",
    behaviour:
      "the push is accepted but its HTTP response never comes (socket destroyed after hangMs); the prompt still pays",
  },
  {
    phone: TEST_PHONE.no_answer,
    outcome: "no_answer",
    behaviour:
      'the public sandbox number: never answers, 1037 "No response from user." after promptTimeoutMs',
  },
];

/** Any number not in the table waits for the virtual handset (and times out with 1037). */
export function outcomeForPhone(phone: string): OutcomeName {
  return TEST_NUMBERS.find((t) => t.phone === phone)?.outcome ?? "handset";
}
