// The exception queue's filter form (status, type, age bucket, amount at stake, EAT day), the ageing
// cards (cases and money per bucket) and the bulk selection form the table's checkboxes belong to.
// Plain GET forms: they work without JavaScript and every filter lives in the URL.
import { Form, Link } from "@remix-run/react";
import {
  AGE_BUCKETS,
  type AgeBucket,
  QUEUE_FILTER_KEYS,
} from "../../modules/exceptions/queue-filters";
import { EXCEPTION_TYPE_LIST, typeTitle } from "../../modules/exceptions/actions";
import { Money } from "../format";

type FilterForm = Record<(typeof QUEUE_FILTER_KEYS)[number], string>;

const STATUS_OPTIONS = [
  ["unresolved", "Needing action"],
  ["open", "Open"],
  ["awaiting_approval", "Awaiting approval"],
  ["resolved", "Resolved"],
  ["all", "All"],
] as const;

export function QueueFilterForm({ form }: { form: FilterForm }) {
  return (
    <Form method="get" className="filters" aria-label="Filter the queue">
      <label>
        Status
        <select name="status" defaultValue={form.status}>
          {STATUS_OPTIONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Type
        <select name="type" defaultValue={form.type}>
          <option value="">All types</option>
          {EXCEPTION_TYPE_LIST.map((t) => (
            <option key={t} value={t}>
              {typeTitle(t)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Waiting
        <select name="age" defaultValue={form.age}>
          <option value="">Any time</option>
          {Object.entries(AGE_BUCKETS).map(([key, b]) => (
            <option key={key} value={key}>
              {b.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        At stake from (KES)
        <input name="minKes" defaultValue={form.minKes} inputMode="numeric" size={8} />
      </label>
      <label>
        to (KES)
        <input name="maxKes" defaultValue={form.maxKes} inputMode="numeric" size={8} />
      </label>
      <label>
        Opened on (EAT)
        <input type="date" name="day" defaultValue={form.day} />
      </label>
      <button type="submit">Filter</button>
      <Link to="/exceptions" className="button">
        Reset
      </Link>
    </Form>
  );
}

export type AgeingRow = { bucket: AgeBucket; count: number; amountAtStake: number };

export function AgeingCards({
  ageing,
  current,
  linkFor,
}: {
  ageing: AgeingRow[];
  current: string;
  linkFor: (age: string | null) => string;
}) {
  return (
    <div className="cards" data-testid="ageing">
      {ageing.map((a) => (
        <Link
          key={a.bucket}
          to={linkFor(current === a.bucket ? null : a.bucket)}
          className={`card kpi${current === a.bucket ? " selected" : ""}`}
          data-age={a.bucket}
        >
          <div className="label">Waiting {AGE_BUCKETS[a.bucket].label.toLowerCase()}</div>
          <div className="value">{a.count}</div>
          <div className="muted">
            <Money kes={a.amountAtStake} /> at stake
          </div>
        </Link>
      ))}
    </div>
  );
}

/** The form the table's checkboxes post with (`form="bulk-select"`): preview all filtered, or the ticked. */
export function BulkSelectForm({ form, rows }: { form: FilterForm; rows: number }) {
  return (
    <Form method="get" action="/exceptions/bulk" id="bulk-select" className="filters">
      {QUEUE_FILTER_KEYS.map((key) =>
        form[key] ? <input key={key} type="hidden" name={key} value={form[key]} /> : null,
      )}
      <span className="muted">Bulk action:</span>
      <button type="submit" name="scope" value="filtered" disabled={rows === 0}>
        Preview all filtered cases
      </button>
      <button type="submit" name="scope" value="checked" disabled={rows === 0}>
        Preview ticked cases
      </button>
    </Form>
  );
}
