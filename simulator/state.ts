// Everything the simulator remembers between requests. `createState` is also what reset uses.
import type { OutcomeName, StkResult } from "./outcomes";
import type { ScenarioScript } from "./scenario-format";

export type PromptStatus = "pending" | "paid" | "failed";

export interface Prompt {
  checkoutRequestId: string;
  merchantRequestId: string;
  phone: string;
  amount: number;
  /** What the customer actually paid; differs from `amount` only for wrong_amount. */
  paidAmount: number | null;
  accountReference: string;
  transactionDesc: string;
  transactionType: string;
  /** null for bulk transactions, which never call back. */
  callbackUrl: string | null;
  outcome: OutcomeName;
  source: "push" | "bulk";
  status: PromptStatus;
  result: StkResult | null;
  receipt: string | null;
  createdAt: number;
  resolvedAt: number | null;
  /** Wall-clock ms when a handset prompt times out; drives the handset page countdown. */
  handsetDeadline: number | null;
  callbacksSent: number;
  callbacksDropped: number;
  /** Set when a scenario script drives this prompt instead of its outcome. */
  script: ScenarioScript | null;
  /** Scripted query answers not yet given, in order. */
  scriptedQueries: string[];
}

export interface Delivery {
  id: number;
  kind: "stk_callback" | "c2b_confirmation" | "initiator_result" | "initiator_timeout";
  checkoutRequestId: string | null;
  url: string;
  body: unknown;
  status: number | null;
  error: string | null;
  at: string;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  /** null while unanswered, and forever for a hung push. */
  status: number | null;
  checkoutRequestId: string | null;
  at: string;
}

export interface C2bRegistration {
  shortCode: string;
  responseType: string;
  confirmationUrl: string;
  validationUrl: string;
  version: "v1" | "v2";
  at: string;
}

export type QueryOverride =
  | "spike_arrest"
  | "quota"
  | "http_429"
  | "not_found"
  | "pending"
  | "pending_4999"
  | "invalid_checkout_request"
  | "html_200";
export interface PushOverride {
  response: "html_200";
  prompt: boolean;
}
export type CallbackOverride = "drop" | "duplicate";

/** Transaction Status, Reversal, Account Balance (initiator.ts). */
export type InitiatorApi = "status" | "reversal" | "balance";
export const INITIATOR_OUTCOMES = [
  "success",
  "timeout",
  "drop",
  "duplicate",
  "already_reversed",
  "invalid_original",
  "initiator_invalid",
  "not_found",
  "incomplete",
  "refused",
  "result_first",
] as const;
export type InitiatorOutcome = (typeof INITIATOR_OUTCOMES)[number];

export interface InitiatorRequest {
  api: InitiatorApi;
  originatorConversationId: string;
  conversationId: string;
  transactionId: string | null;
  amount: number | null;
  resultUrl: string;
  timeoutUrl: string;
  outcome: InitiatorOutcome | "natural";
  /** The result body sent (null until sent, or when dropped / timed out). */
  result: unknown;
  at: string;
}

export interface InitiatorState {
  requests: InitiatorRequest[];
  /** Forced outcomes per API, used in order (POST /__sim/next-initiator-result). */
  next: Record<InitiatorApi, InitiatorOutcome[]>;
  /** Original receipt → the reversal's receipt. */
  reversed: Map<string, string>;
}

export interface SimState {
  prompts: Map<string, Prompt>;
  /** Push-created prompts per phone, oldest first, for the subscriber lock and rule limit. */
  promptsByPhone: Map<string, Prompt[]>;
  receipts: Set<string>;
  tokens: Map<string, number>;
  counts: { tokensIssued: number; pushes: number; pushesAccepted: number; queries: number };
  queriesByCheckoutRequestId: Map<string, number>;
  deliveries: Delivery[];
  requests: RequestLogEntry[];
  registrations: Map<string, C2bRegistration>;
  orgBalance: number;
  next: {
    outcomes: OutcomeName[];
    callbacks: CallbackOverride[];
    queries: QueryOverride[];
    pushes: PushOverride[];
  };
  /** The SpikeArrest bucket (when config.queryBudget is set): tokens left, as of `at`. */
  queryBucket: { tokens: number; at: number } | null;
  /** Scenario scripts waiting for a push from their phone, and those already running. */
  scripts: Map<string, ScenarioScript>;
  initiator: InitiatorState;
}

/** Tokens survive a reset: they are credentials the app has cached, not test data. */
export function createState(tokens: Map<string, number> = new Map()): SimState {
  return {
    prompts: new Map(),
    promptsByPhone: new Map(),
    receipts: new Set(),
    tokens,
    counts: { tokensIssued: 0, pushes: 0, pushesAccepted: 0, queries: 0 },
    queriesByCheckoutRequestId: new Map(),
    deliveries: [],
    requests: [],
    registrations: new Map(),
    orgBalance: 0,
    next: { outcomes: [], callbacks: [], queries: [], pushes: [] },
    queryBucket: null,
    scripts: new Map(),
    initiator: {
      requests: [],
      next: { status: [], reversal: [], balance: [] },
      reversed: new Map(),
    },
  };
}

/** Logs are capped so a long benchmark run cannot grow memory without bound. */
export const LOG_LIMIT = 10_000;

export function appendCapped<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > LOG_LIMIT) list.splice(0, list.length - LOG_LIMIT);
}
