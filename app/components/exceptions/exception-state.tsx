// Where the case stands: what happened in plain words, the proposal waiting for a second finance
// user, or the resolution (who, when, why) — resolved cases stay readable after they leave the queue.
import { actionLabel, TYPE_DESCRIPTIONS, typeTitle } from "../../modules/exceptions/actions";
import { EatTime, Money } from "../format";
import { StatusBadge } from "../status-badge";
import type { ExceptionView } from "../../modules/exceptions/exception-view";

/** The case as the header and state cards read it (evidence ids and details left to the evidence). */
export type ExceptionStateView = Omit<
  ExceptionView,
  "paymentId" | "attemptId" | "rawCallbackId" | "statementLineId" | "details" | "proposedData"
> & { proposedData?: unknown };

export function ExceptionHeader({ x }: { x: ExceptionStateView }) {
  const described = (TYPE_DESCRIPTIONS as Record<string, { plain: string; urgent?: boolean }>)[
    x.type
  ];
  return (
    <>
      <h1>
        {typeTitle(x.type)} <StatusBadge status={x.status} />
      </h1>
      <div className={`card${described?.urgent ? " urgent" : ""}`} data-testid="plain-words">
        <p>
          <strong>{described?.plain ?? x.summary}</strong>
        </p>
        <dl className="facts">
          <dt>What we saw</dt>
          <dd>{x.summary}</dd>
          <dt>Money at stake</dt>
          <dd>
            <Money kes={x.amountAtStake} />
          </dd>
          <dt>Receipt</dt>
          <dd className="mono">{x.receipt ?? "—"}</dd>
          <dt>Opened</dt>
          <dd>
            <EatTime at={x.openedAt} />
          </dd>
          {x.reopenCount ? (
            <>
              <dt>Reopened</dt>
              <dd>
                {x.reopenCount} time{x.reopenCount === 1 ? "" : "s"}
              </dd>
            </>
          ) : null}
        </dl>
      </div>
    </>
  );
}

export function ProposalState({
  x,
  names,
  viewerId,
}: {
  x: ExceptionStateView;
  names: Record<string, string>;
  viewerId: string;
}) {
  if (x.status !== "awaiting_approval") return null;
  const data = (x.proposedData ?? {}) as { receipt?: string; note?: string };
  const mine = x.proposedByUserId === viewerId;
  return (
    <div className="banner-warn" data-testid="proposal">
      <strong>Waiting for approval:</strong> {actionLabel(x.proposedResolution ?? "")}
      {data.receipt ? (
        <>
          {" "}
          with receipt <span className="mono">{data.receipt}</span>
        </>
      ) : null}
      , proposed by {names[x.proposedByUserId ?? ""] ?? "a finance user"} on{" "}
      <EatTime at={x.proposedAt} />.{data.note ? <> Note: “{data.note}”.</> : null}{" "}
      {mine
        ? "You proposed it, so a different finance user must approve it; you may withdraw it."
        : "Nothing changes until a finance user other than the proposer approves it."}
    </div>
  );
}

export function ResolutionState({
  x,
  names,
}: {
  x: ExceptionStateView;
  names: Record<string, string>;
}) {
  if (x.status !== "resolved") return null;
  return (
    <div className="card" data-testid="resolution">
      <h2>Resolution</h2>
      <dl className="facts">
        <dt>Decision</dt>
        <dd>{actionLabel(x.resolution ?? "")}</dd>
        <dt>Note</dt>
        <dd style={{ whiteSpace: "pre-wrap" }}>{x.resolutionNote ?? "—"}</dd>
        <dt>By</dt>
        <dd>{x.resolvedByUserId ? (names[x.resolvedByUserId] ?? "a user") : "automatically"}</dd>
        {x.approvedByUserId ? (
          <>
            <dt>Approved by</dt>
            <dd>{names[x.approvedByUserId] ?? "a user"}</dd>
          </>
        ) : null}
        <dt>When</dt>
        <dd>
          <EatTime at={x.resolvedAt} />
        </dd>
      </dl>
    </div>
  );
}
