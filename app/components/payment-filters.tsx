// The payments list's filter form (a GET form: filters live in the URL, so links share and the back
// button works) and the per-status count chips above the table.
import { Form, Link, useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import type { PageError } from "../lib/app-error";
import { PAYMENT_SORTS, type PaymentListForm } from "../modules/payments/list-params";
import { StatusBadge } from "./status-badge";

const STATUSES = [
  "initiating",
  "pending",
  "paid",
  "failed",
  "cancelled",
  "expired",
  "unknown",
  "refunded",
] as const;

// The boxes of the form, each showing its own error; the page says any other (cursor, limit) itself.
const FILTER_FIELDS = [
  "status",
  "from",
  "to",
  "minAmount",
  "maxAmount",
  "phone",
  "orderRef",
  "receipt",
] as const;
type FilterField = (typeof FILTER_FIELDS)[number];

export function isFilterField(field: string | undefined): boolean {
  return FILTER_FIELDS.includes(field as FilterField);
}

function FieldError({ error, field }: { error: PageError | null; field: FilterField }) {
  return error?.field === field ? (
    <span className="field-error" role="alert">
      {error.message}
    </span>
  ) : null;
}

export function PaymentFilters({
  form,
  error,
}: {
  form: PaymentListForm;
  error: PageError | null;
}) {
  const navigation = useNavigation();
  const searching = navigation.state === "loading" && navigation.location?.pathname === "/payments";
  // On a phone the filters fold away behind "Filters" unless one is in use or has an error.
  const box = useRef<HTMLDetailsElement>(null);
  const inUse =
    !!error ||
    [form.status, form.minAmount, form.maxAmount, form.phone, form.orderRef, form.receipt].some(
      Boolean,
    );
  useEffect(() => {
    if (box.current && !inUse && window.matchMedia("(max-width: 600px)").matches)
      box.current.open = false;
  }, [inUse]);
  return (
    <details className="filter-box" open ref={box}>
      <summary className="button">Filters</summary>
      <FiltersForm form={form} error={error} searching={searching} />
    </details>
  );
}

function FiltersForm({
  form,
  error,
  searching,
}: {
  form: PaymentListForm;
  error: PageError | null;
  searching: boolean;
}) {
  return (
    <Form method="get" className="filters card" aria-label="Filter payments">
      <label>
        Status
        <select name="status" defaultValue={form.status}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <FieldError error={error} field="status" />
      </label>
      <label>
        From (EAT)
        <input type="date" name="from" defaultValue={form.from} />
        <FieldError error={error} field="from" />
      </label>
      <label>
        To (EAT)
        <input type="date" name="to" defaultValue={form.to} />
        <FieldError error={error} field="to" />
      </label>
      <label>
        Min KES
        <input name="minAmount" inputMode="numeric" size={8} defaultValue={form.minAmount} />
        <FieldError error={error} field="minAmount" />
      </label>
      <label>
        Max KES
        <input name="maxAmount" inputMode="numeric" size={8} defaultValue={form.maxAmount} />
        <FieldError error={error} field="maxAmount" />
      </label>
      <label>
        Phone
        <input name="phone" type="tel" placeholder="0712 345 678" defaultValue={form.phone} />
        <FieldError error={error} field="phone" />
      </label>
      <label>
        Order ref
        <input name="orderRef" defaultValue={form.orderRef} />
        <FieldError error={error} field="orderRef" />
      </label>
      <label>
        Receipt
        <input name="receipt" className="mono" defaultValue={form.receipt} />
        <FieldError error={error} field="receipt" />
      </label>
      <label>
        Sort
        <select name="sort" defaultValue={form.sort}>
          {Object.entries(PAYMENT_SORTS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={searching}>
        {searching ? "Filtering…" : "Filter"}
      </button>
      <Link to="/payments" className="button">
        Clear
      </Link>
    </Form>
  );
}

/** One chip per status with its count in the current window; a chip links to the list filtered by it. */
export function StatusCounts({
  counts,
  total,
  current,
  cap,
}: {
  counts: Record<string, number>;
  total: number;
  current: string;
  cap: number | null;
}) {
  const location = useLocation();
  // A capped count is a lower bound: "1,000+" rather than a number that looks exact.
  const shown = (n: number) => `${n.toLocaleString("en-KE")}${cap != null && n >= cap ? "+" : ""}`;
  const hrefFor = (status: string) => {
    const params = new URLSearchParams(location.search);
    params.delete("cursor");
    if (status) params.set("status", status);
    else params.delete("status");
    return `/payments?${params}`;
  };
  return (
    <div className="counts" data-testid="status-counts">
      <Link to={hrefFor("")} aria-current={current === "" ? "true" : undefined}>
        <StatusBadge
          status="all"
          label={`all ${total.toLocaleString("en-KE")}${cap != null ? "+" : ""}`}
        />
      </Link>
      {STATUSES.filter((s) => counts[s] > 0 || s === current).map((s) => (
        <Link key={s} to={hrefFor(s)} aria-current={current === s ? "true" : undefined}>
          <StatusBadge status={s} label={`${s} ${shown(counts[s])}`} />
        </Link>
      ))}
    </div>
  );
}
