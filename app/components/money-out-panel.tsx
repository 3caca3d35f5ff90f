// Money out on a payment's page (finance and admin): ask M-Pesa for the Transaction Status, request a
// reversal, approve or reject someone else's, and record that M-Pesa never answered one. Fetcher
// forms: plain POSTs without JavaScript. The server refuses what does not fit regardless of what is
// shown here.
import { useFetcher } from "@remix-run/react";
import type { FormResult } from "../lib/form-result";
import { FormResultBanner } from "./form-result";
import type { MoneyOutRequestView, MoneyOutView } from "../modules/money-out/view";
import { CsrfInput } from "./csrf";
import { EatTime } from "./format";

type Result = FormResult;
type RequestView = MoneyOutRequestView;
export type MoneyOutPanelProps = Omit<MoneyOutView, "allowed">;

const KIND = { status: "Transaction Status", reversal: "Reversal", balance: "Balance" };

function StatusQueryForm({ needsReceipt }: { needsReceipt: boolean }) {
  const fetcher = useFetcher<Result>({ key: "payment-status-query" });
  return (
    <fetcher.Form method="post" className="card" aria-label="Transaction Status">
      <h3>Ask M-Pesa (Transaction Status)</h3>
      <CsrfInput />
      <input type="hidden" name="intent" value="status_query" />
      {needsReceipt ? (
        <label>
          M-Pesa receipt to look up (from the customer&apos;s SMS or the statement)
          <input name="receipt" required pattern="[A-Za-z0-9]{10}" autoComplete="off" />
        </label>
      ) : null}
      <button type="submit" disabled={fetcher.state !== "idle"}>
        {fetcher.state !== "idle" ? "Asking…" : "Ask M-Pesa"}
      </button>
      <FormResultBanner result={fetcher.data} done="Done." />
    </fetcher.Form>
  );
}

function ReversalRequestForm({ capKes }: { capKes: number }) {
  const fetcher = useFetcher<Result>({ key: "payment-reversal-request" });
  return (
    <fetcher.Form method="post" className="card" aria-label="Request reversal">
      <h3>Reverse this payment</h3>
      <p className="muted">
        The whole sum goes back to the customer. A second finance user must approve before anything
        is sent; at most KES {capKes.toLocaleString("en-KE")} per reversal.
      </p>
      <CsrfInput />
      <input type="hidden" name="intent" value="reversal_request" />
      <label>
        Reason
        <input name="reason" required minLength={5} maxLength={100} />
      </label>
      <button type="submit" disabled={fetcher.state !== "idle"}>
        Request reversal
      </button>
      {/* A request made is confirmed by the panel (below); here only what was refused. */}
      <FormResultBanner result={fetcher.data?.ok ? undefined : fetcher.data} />
    </fetcher.Form>
  );
}

function Decision({ request }: { request: RequestView }) {
  const fetcher = useFetcher<Result>({ key: `reversal-decision-${request.id}` });
  const busy = fetcher.state !== "idle";
  return (
    <fetcher.Form method="post" aria-label="Decide reversal">
      <CsrfInput />
      <input type="hidden" name="requestId" value={request.id} />
      {request.mine ? (
        <button type="submit" name="intent" value="reversal_reject" disabled={busy}>
          Withdraw
        </button>
      ) : (
        <>
          <button type="submit" name="intent" value="reversal_approve" disabled={busy}>
            Approve and send
          </button>{" "}
          <button type="submit" name="intent" value="reversal_reject" disabled={busy}>
            Reject
          </button>
        </>
      )}
      <FormResultBanner result={fetcher.data} done="Done." />
    </fetcher.Form>
  );
}

// A reversal M-Pesa has not answered: after MPESA_RESULT_WAIT_S finance may record that no answer
// came (what they checked, e.g. a Transaction Status of the receipt), and reverse it again.
const noAnswerKey = (request: RequestView) => `reversal-no-answer-${request.id}`;

function NoAnswer({ request }: { request: RequestView }) {
  const fetcher = useFetcher<Result>({ key: noAnswerKey(request) });
  if (!request.noAnswer) return null;
  if (!request.noAnswer.now)
    return (
      <div className="muted">
        Waiting for M-Pesa&apos;s result. If none comes, you can record that after{" "}
        <EatTime at={request.noAnswer.from} />.
      </div>
    );
  return (
    <fetcher.Form method="post" aria-label="Record no answer">
      <CsrfInput />
      <input type="hidden" name="intent" value="reversal_unanswered" />
      <input type="hidden" name="requestId" value={request.id} />
      <label>
        M-Pesa has not answered. What did you check?
        <input name="note" required minLength={5} maxLength={500} />
      </label>
      <button type="submit" disabled={fetcher.state !== "idle"}>
        Record no answer
      </button>
      {/* Its answer is shown by NoAnswerResult: once recorded (or answered meanwhile) this form goes. */}
    </fetcher.Form>
  );
}

/** The answer to "Record no answer", kept on screen after the request stops waiting. */
function NoAnswerResult({ request }: { request: RequestView }) {
  const fetcher = useFetcher<Result>({ key: noAnswerKey(request) });
  return <FormResultBanner result={fetcher.data} done="Done." />;
}

export function MoneyOutPanel(props: MoneyOutPanelProps) {
  const waiting = props.requests.some(
    (r) => r.kind === "reversal" && r.state === "awaiting_approval",
  );
  // The same fetcher as the request form's: once a request is made the form gives way to the request
  // awaiting approval, and its answer ("…requested. A different finance user must approve it")
  // would go with it. Read here, the answer stays on screen.
  const requested = useFetcher<Result>({ key: "payment-reversal-request" });
  return (
    <section aria-label="Money out" data-testid="money-out">
      {props.statusRefusal ? null : <StatusQueryForm needsReceipt={props.needsReceipt} />}
      {props.reversalRefusal || waiting ? (
        <FormResultBanner result={requested.data} done="Done." />
      ) : (
        <ReversalRequestForm capKes={props.capKes} />
      )}
      {props.requests.length ? (
        <table className="table" data-testid="money-out-requests">
          <thead>
            <tr>
              <th>Asked</th>
              <th>What</th>
              <th>By</th>
              <th>State</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {props.requests.map((r) => (
              <tr key={r.id} data-state={r.state}>
                <td>
                  <EatTime at={r.createdAt} />
                </td>
                <td>
                  {KIND[r.kind]} {r.receipt ?? ""}
                  {r.reason ? <div className="muted">{r.reason}</div> : null}
                </td>
                <td>{r.requestedBy}</td>
                <td>
                  {r.state.replace(/_/g, " ")}
                  {r.kind === "reversal" && r.state === "awaiting_approval" ? (
                    <Decision request={r} />
                  ) : null}
                  <NoAnswer request={r} />
                  {r.kind === "reversal" ? <NoAnswerResult request={r} /> : null}
                </td>
                <td>{r.result ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
