// The callback log's URL filters: outcome, and a time window typed as East Africa Time wall clock
// (`2025-03-14T10:15` from a datetime-local input), turned into the instants the query needs; and the
// one zod parser of the list's filters that GET /api/callbacks, the page and the CSV share.
import { z } from "zod";
import { CALLBACK_OUTCOMES } from "../../../db/schema";
import { fromEatWallClock } from "../../lib/time";
import { pageLimit, type WithDefaults } from "../../lib/validation";

export const CALLBACK_PAGE_SIZE = 50;

const optionalText = z.string().trim().min(1).optional().catch(undefined);
export const CallbackFiltersSchema = z.object({
  outcome: z
    .enum(CALLBACK_OUTCOMES, { message: `outcome must be one of ${CALLBACK_OUTCOMES.join(", ")}` })
    .optional(),
  checkoutRequestId: optionalText,
  merchantRequestId: optionalText,
  receipt: optionalText,
  /** One box for people: a CheckoutRequestID, MerchantRequestID or receipt, or any text of the raw body. */
  q: z.string().trim().min(1).max(200).optional().catch(undefined),
  paymentId: optionalText,
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: pageLimit(200, CALLBACK_PAGE_SIZE),
  cursor: optionalText,
});
/** listCallbacks' input: the parsed filters; limit may be left out. */
export type CallbackListInput = WithDefaults<z.output<typeof CallbackFiltersSchema>, "limit">;

export type CallbackListForm = { outcome: string; from: string; to: string; q: string };

/**
 * A typed EAT time as an instant. `from` is where its minute (or day) starts; `to` is the last
 * millisecond of its minute (datetime-local) or of its whole day (date only), so "to 10:15" keeps
 * what arrived at 10:15:40 and "to 2025-03-14" keeps the 14th. Received times are whole
 * milliseconds (they come from the app's clock), so the query's `<=` is exact.
 */
function eatInstant(value: string, end: "from" | "to"): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(value.trim());
  const at =
    m &&
    fromEatWallClock(
      Number(m[1]),
      Number(m[2]),
      Number(m[3]),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
    );
  if (!at) return undefined;
  if (end === "from") return at.toISOString();
  const span = m[4] === undefined ? 86_400_000 : 60_000; // Kenya keeps UTC+3: every day is 24 h
  return new Date(at.getTime() + span - 1).toISOString();
}

export function callbackListQuery(params: URLSearchParams): {
  form: CallbackListForm;
  filters: Record<string, string | undefined>;
  error: string | null;
} {
  const form = {
    outcome: params.get("outcome") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    q: params.get("q") ?? "",
  };
  const from = form.from ? eatInstant(form.from, "from") : undefined;
  const to = form.to ? eatInstant(form.to, "to") : undefined;
  const error =
    (form.from && !from) || (form.to && !to)
      ? "Times must look like 2025-03-14 10:15 (East Africa Time)."
      : null;
  return {
    form,
    filters: { outcome: form.outcome || undefined, from, to, q: form.q.trim() || undefined },
    error,
  };
}
