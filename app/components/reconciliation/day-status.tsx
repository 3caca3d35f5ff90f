// The daily reconciliation status, one row per EAT day ("14 Mar 2025: 1,203 lines, 1,201 matched,
// 2 open"), with the statement's and the system's paid-in side by side and finance's sign-off.
import { Form } from "@remix-run/react";
import { formatEatDate, startOfEatDay } from "../../lib/time";
import { CsrfInput } from "../csrf";
import { EatTime, Money } from "../format";
import type { DayStatus } from "../../modules/reconciliation/statement-view";

const n = (x: number) => x.toLocaleString("en-KE");
export const dayLabel = (day: string) => formatEatDate(startOfEatDay(day));

export function DayStatusTable({
  days,
  canSignOff,
  today,
}: {
  days: DayStatus[];
  canSignOff: boolean;
  /** The EAT day it is now: a day is signed off once it has ended. */
  today: string;
}) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Day (EAT)</th>
            <th>Status</th>
            <th className="num">Statement paid in</th>
            <th className="num">System paid in</th>
            <th className="num">Difference</th>
            <th>Sign-off</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.day} data-day={d.day}>
              <td>{dayLabel(d.day)}</td>
              <td>
                {d.open ? (
                  <>
                    {`${n(d.lines)} lines, ${n(d.matched)} matched, `}
                    <strong>{`${n(d.open)} open`}</strong>
                  </>
                ) : (
                  `${n(d.lines)} lines, ${n(d.matched)} matched, 0 open`
                )}
                {d.skipped ? (
                  <span className="muted">{` (${n(d.skipped)} failed or not ours)`}</span>
                ) : null}
              </td>
              <td className="num">
                <Money kes={d.statementPaidInKes} />
              </td>
              <td className="num">
                <Money kes={d.systemPaidInKes} />
              </td>
              <td className="num">
                {d.statementPaidInKes === d.systemPaidInKes ? (
                  <span className="muted">—</span>
                ) : (
                  <Money kes={d.statementPaidInKes - d.systemPaidInKes} />
                )}
              </td>
              <td>
                {d.signedOff ? (
                  <div>
                    Signed off by {d.signedOff.by}, <EatTime at={d.signedOff.at} />
                    {d.signedOff.note ? <div className="muted">“{d.signedOff.note}”</div> : null}
                  </div>
                ) : null}
                {!canSignOff || d.lines === 0 ? null : d.day >= today ? (
                  <span className="muted">Sign off once the day has ended.</span>
                ) : d.unmatchedYet > 0 ? (
                  <span className="muted">{`Matching ${n(d.unmatchedYet)} lines; sign off once the import is done.`}</span>
                ) : (
                  <SignOffForm day={d.day} open={d.open} again={!!d.signedOff} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SignOffForm({ day, open, again }: { day: string; open: number; again: boolean }) {
  // Sign-off always posts to the reconciliation index, which owns that action.
  return (
    <Form method="post" action="/reconciliation?index" className="actions">
      <CsrfInput />
      <input type="hidden" name="intent" value="signoff" />
      <input type="hidden" name="day" value={day} />
      <input
        name="note"
        placeholder={open ? "Why sign off with open items? (required)" : "Note (optional)"}
        aria-label={`Sign-off note for ${dayLabel(day)}`}
        required={open > 0}
        maxLength={1000}
      />
      <button type="submit">{again ? "Sign off again" : "Sign off"}</button>
    </Form>
  );
}
