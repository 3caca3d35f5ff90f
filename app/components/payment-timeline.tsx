// A payment's timeline: every event the payments core wrote, oldest first — pushes, raw callbacks
// (linked to the callback log), poller answers, status changes, exceptions and staff actions with names.
import { Link } from "@remix-run/react";
import { plainSummary } from "../modules/daraja/result-words";
import { EatTime } from "./format";
import { StatusBadge } from "./status-badge";

export type TimelineEvent = {
  id: number;
  type: string;
  actor: string;
  actorType: string;
  summary: string;
  data?: unknown;
  rawCallbackId: number | null;
  attemptId: string | null;
  at: string;
};

const SOURCE_LABELS: Record<string, string> = {
  daraja: "M-Pesa",
  poller: "Poller",
  user: "Staff",
  api_key: "API",
  system: "System",
};
const TYPE_LABELS: Record<string, string> = {
  created: "Requested",
  push_accepted: "Prompt sent",
  push_failed: "Prompt refused",
  push_unknown: "No answer to the push",
  prompt_resent: "Prompt re-sent",
  callback: "Callback",
  query: "STK Query",
  status_changed: "Status",
  receipt_attached: "Receipt",
  exception_opened: "Exception",
  note: "Note",
};

function eventClass(e: TimelineEvent): string {
  // The dot takes the colour of the outcome: green paid, red failed, grey cancelled, amber expired.
  if (e.type === "status_changed") {
    const to = (e.data as { to?: string } | null)?.to;
    return to === "paid" ? "ev-paid" : `ev-status ev-to-${to ?? "other"}`;
  }
  if (e.type === "exception_opened") return "ev-exception";
  return `ev-${e.type}`;
}

export function PaymentTimeline({
  events,
  attemptSeq,
  canSeeCallbacks,
}: {
  events: TimelineEvent[];
  attemptSeq: Record<string, number>;
  canSeeCallbacks: boolean;
}) {
  if (!events.length) return <p className="muted">Nothing has happened to this payment yet.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {events.map((e) => {
        const exceptionId = (e.data as { exceptionId?: string } | null)?.exceptionId;
        const seq = e.attemptId ? attemptSeq[e.attemptId] : undefined;
        const statusTo =
          e.type === "status_changed" ? (e.data as { to?: string } | null)?.to : undefined;
        return (
          <li key={e.id} className={eventClass(e)} data-event-type={e.type}>
            <div>
              <strong>{TYPE_LABELS[e.type] ?? e.type.replace(/_/g, " ")}</strong>
              {statusTo ? (
                <>
                  {" "}
                  → <StatusBadge status={statusTo} />
                </>
              ) : null}
              {" · "}
              <span className="actor">
                {e.actorType === "user"
                  ? e.actor
                  : `${SOURCE_LABELS[e.actorType] ?? e.actorType}${e.actor && e.actor !== e.actorType && e.actorType !== "daraja" ? ` (${e.actor})` : ""}`}
              </span>
              {seq ? <span className="muted"> · attempt {seq}</span> : null}
              {" · "}
              <EatTime at={e.at} />
            </div>
            <div className={e.type === "note" ? "note-text" : undefined}>
              {plainSummary(e.summary)}
            </div>
            <div className="ev-links">
              {e.rawCallbackId ? (
                canSeeCallbacks ? (
                  <Link to={`/callbacks/${e.rawCallbackId}`}>Raw callback #{e.rawCallbackId}</Link>
                ) : (
                  <span className="muted">Raw callback #{e.rawCallbackId}</span>
                )
              ) : null}
              {exceptionId ? (
                <Link to={`/exceptions/${exceptionId}`}>Open the exception</Link>
              ) : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
