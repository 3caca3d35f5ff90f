// The dashboard's date range lives in the URL (`?from=&to=&interval=`): shareable, and the back button
// returns to the previous range. Quick links cover the usual questions.
import { Form, Link } from "@remix-run/react";
import type { ReportRange } from "../../modules/reports/report-types";
import { bucketOf, shiftDays, shiftMonths } from "../../modules/reports/periods";

export function RangePicker({ range, today }: { range: ReportRange; today: string }) {
  const quick = [
    { label: "Today", from: today, to: today, interval: "day" },
    { label: "Last 7 days", from: shiftDays(today, -6), to: today, interval: "day" },
    { label: "Last 30 days", from: shiftDays(today, -29), to: today, interval: "day" },
    {
      label: "Last 12 weeks",
      from: shiftDays(bucketOf(today, "week"), -77),
      to: today,
      interval: "week",
    },
    {
      label: "Last 12 months",
      from: shiftMonths(bucketOf(today, "month"), -11),
      to: today,
      interval: "month",
    },
  ];
  return (
    <div className="range-picker">
      {/* Keyed by the range: a quick range remounts the form, so its inputs show the range in use. */}
      <Form
        method="get"
        className="filters"
        aria-label="Date range"
        key={`${range.from}|${range.to}|${range.interval}`}
      >
        <label>
          From (EAT)
          <input type="date" name="from" defaultValue={range.from} max={today} required />
        </label>
        <label>
          To (EAT)
          <input type="date" name="to" defaultValue={range.to} max={today} required />
        </label>
        <label>
          Per
          <select name="interval" defaultValue={range.interval}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <button type="submit" className="primary">
          Show
        </button>
      </Form>
      <nav className="quick-ranges" aria-label="Quick ranges">
        {quick.map((q) => {
          const active =
            q.from === range.from && q.to === range.to && q.interval === range.interval;
          return (
            <Link
              key={q.label}
              to={`?from=${q.from}&to=${q.to}&interval=${q.interval}`}
              className={active ? "button active" : "button"}
              aria-current={active ? "true" : undefined}
            >
              {q.label}
            </Link>
          );
        })}
      </nav>
    </div>
  );
}
