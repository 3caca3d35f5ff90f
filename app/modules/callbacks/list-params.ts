// The callback log's URL filters: outcome, and a time window typed as East Africa Time wall clock
// (`2025-03-14T10:15` from a datetime-local input), turned into the instants the query needs.
import { fromEatWallClock } from "../../lib/time";

export type CallbackListForm = { outcome: string; from: string; to: string; q: string };

function eatInstant(value: string): string | undefined {
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
  return at ? at.toISOString() : undefined;
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
  const from = form.from ? eatInstant(form.from) : undefined;
  const to = form.to ? eatInstant(form.to) : undefined;
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
