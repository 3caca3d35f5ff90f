// The exception queue's table and its counts per type (with the money at stake), oldest first.
import { Link } from "@remix-run/react";
import { isUrgentType, typeTitle } from "../../modules/exceptions/actions";
import { EatTime, Money } from "../format";
import { StatusBadge } from "../status-badge";

export type ExceptionRow = {
  id: string;
  type: string;
  status: string;
  summary: string;
  paymentId: string | null;
  amountAtStake: number;
  openedAt: string;
  resolution: string | null;
};
export type TypeCount = { type: string; count: number; amountAtStake: number };

/** `45 min`, `3 h`, `2 d`: how long the case has waited, from the server's clock. */
export function ageText(openedAt: string, now: string): string {
  const minutes = Math.max(
    0,
    Math.floor((new Date(now).getTime() - new Date(openedAt).getTime()) / 60_000),
  );
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / 1440)} d`;
}

export function TypeCounts({
  counts,
  current,
  linkFor,
}: {
  counts: TypeCount[];
  current: string;
  linkFor: (type: string | null) => string;
}) {
  const total = counts.reduce((n, c) => n + c.count, 0);
  const atStake = counts.reduce((n, c) => n + c.amountAtStake, 0);
  // The kinds where a customer was charged and told otherwise come first.
  const urgentFirst = [...counts].sort(
    (a, b) => Number(isUrgentType(b.type)) - Number(isUrgentType(a.type)) || b.count - a.count,
  );
  return (
    <div className="cards" data-testid="type-counts">
      <Link to={linkFor(null)} className={`card kpi${current ? "" : " selected"}`}>
        <div className="label">Needing action</div>
        <div className="value">{total}</div>
        <div className="muted">
          <Money kes={atStake} /> at stake
        </div>
      </Link>
      {urgentFirst.map((c) => (
        <Link
          key={c.type}
          to={linkFor(c.type)}
          className={`card kpi${current === c.type ? " selected" : ""}`}
          data-type={c.type}
        >
          <div className="label">{typeTitle(c.type)}</div>
          <div className="value">{c.count}</div>
          <div className="muted">
            <Money kes={c.amountAtStake} /> at stake
          </div>
        </Link>
      ))}
    </div>
  );
}

export function ExceptionTable({
  rows,
  now,
  selectable = false,
}: {
  rows: ExceptionRow[];
  now: string;
  /** A tick box per open case, belonging to the bulk selection form (`form="bulk-select"`). */
  selectable?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {selectable ? <th title="Tick cases for a bulk action">Tick</th> : null}
            <th>Opened (EAT)</th>
            <th>Waiting</th>
            <th>Type</th>
            <th>Status</th>
            <th className="num">At stake</th>
            <th>What happened</th>
            <th>Payment</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((x) => (
            <tr key={x.id} data-exception-id={x.id}>
              {selectable ? (
                <td>
                  {x.status === "open" ? (
                    <input
                      type="checkbox"
                      name="id"
                      value={x.id}
                      form="bulk-select"
                      aria-label={`Tick ${typeTitle(x.type)} case for a bulk action`}
                    />
                  ) : null}
                </td>
              ) : null}
              <td>
                <Link to={`/exceptions/${x.id}`}>
                  <EatTime at={x.openedAt} zone={false} />
                </Link>
              </td>
              <td>{x.status === "resolved" ? "—" : ageText(x.openedAt, now)}</td>
              <td>
                <Link to={`/exceptions/${x.id}`}>{typeTitle(x.type)}</Link>
              </td>
              <td>
                <StatusBadge status={x.status} />
                {x.resolution ? (
                  <div className="muted">{x.resolution.replace(/_/g, " ")}</div>
                ) : null}
              </td>
              <td className="num">
                <Money kes={x.amountAtStake} />
              </td>
              <td>{x.summary}</td>
              <td>
                {x.paymentId ? (
                  <Link to={`/payments/${x.paymentId}`}>Open payment</Link>
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
