// The payment poller (admin only): how many pending payments are due a status check, the last sweeps
// and the ones that went wrong, its settings, and "run now" (one sweep through the poller's own code,
// recorded as a poller run with trigger "console" and in the staff audit).
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormResultBanner } from "../components/form-result";
import type { FormResult } from "../lib/form-result";
import { CsrfInput } from "../components/csrf";
import { EatTime } from "../components/format";
import { EmptyState } from "../components/pager";
import { StatusBadge } from "../components/status-badge";
import { formAction } from "../lib/http.server";
import {
  describeSweep,
  getPollerOverview,
  runPollerNow,
  type PollerRunView,
} from "../modules/admin/jobs.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";

export const meta: MetaFunction = () => [{ title: "Poller · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "jobs:read");
  return json({
    ...(await getPollerOverview(context)),
    canRun: can(session.user.role, "jobs:run"),
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor } = await requireStaffAction(context, request, "jobs:run");
  return formAction(async () => {
    const summary = await runPollerNow(context, actor);
    return {
      message: describeSweep(summary),
      data: { runId: summary.runId, status: summary.status },
    };
  });
}

const ok = (status: string) =>
  status === "ok"
    ? "paid"
    : status === "failed"
      ? "failed"
      : status === "running"
        ? "pending"
        : "cancelled";

function RunsTable({ runs }: { runs: PollerRunView[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Started (EAT)</th>
            <th>Trigger</th>
            <th>Result</th>
            <th className="num">Due</th>
            <th className="num">Asked</th>
            <th className="num">Changed</th>
            <th className="num">Errors</th>
            <th className="num">Took</th>
            <th>Instance</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <EatTime at={r.startedAt} />
              </td>
              <td>{r.trigger}</td>
              <td>
                <StatusBadge status={ok(r.status)} label={r.status} />
                {r.error ? <div className="small muted">{r.error}</div> : null}
              </td>
              <td className="num">{r.due}</td>
              <td className="num">{r.queried}</td>
              <td className="num">{r.changed}</td>
              <td className="num">{r.errors}</td>
              <td className="num">
                {r.durationMs == null ? "—" : `${(r.durationMs / 1000).toFixed(1)} s`}
              </td>
              <td className="mono small">{r.instance}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function JobsPage() {
  const { due, runs, failures, settings, budget, canRun } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const running = useNavigation().state === "submitting";
  const last = runs[0];
  return (
    <div className="admin-page">
      <div className="page-head">
        <h1>Payment poller</h1>
        {canRun ? (
          <Form method="post">
            <CsrfInput />
            <button type="submit" className="primary" disabled={running}>
              {running ? "Checking…" : "Run now"}
            </button>
          </Form>
        ) : null}
      </div>
      <FormResultBanner result={result} />
      <div className="cards">
        <div className="card kpi" data-testid="due-now">
          <div className="label">Due for a check now</div>
          <div className="value">{due}</div>
        </div>
        <div className="card kpi">
          <div className="label">Last run</div>
          <div className="value small">{last ? <EatTime at={last.startedAt} /> : "never"}</div>
          {last ? (
            <div className="muted small">
              {last.status}, {last.queried} asked, {last.changed} changed
            </div>
          ) : null}
        </div>
        <div className="card kpi">
          <div className="label">Recent problems</div>
          <div className="value">{failures.length}</div>
          <div className="muted small">failed runs or runs with errors (last 10 shown below)</div>
        </div>
      </div>
      <section className="card">
        <h2>Settings</h2>
        <dl className="facts">
          <dt>Enabled</dt>
          <dd>{settings.enabled ? "yes" : "no (POLLER_ENABLED=false)"}</dd>
          <dt>Schedule</dt>
          <dd className="mono">{settings.schedule}</dd>
          <dt>First check after</dt>
          <dd>{settings.firstAfterS} s</dd>
          <dt>Give up after</dt>
          <dd>{settings.giveUpAfterS} s (then the payment is unknown and an exception opens)</dd>
          <dt>Rate limit</dt>
          <dd>{settings.maxQps} STK queries per second, shared by every instance</dd>
          <dt>Query budget in use</dt>
          <dd>
            {budget.queriesLastMinute} STK queries in the last minute (of at most{" "}
            {budget.maxQps * 60}); {budget.rateLimitedLastHour} refused by M-Pesa&apos;s rate limit
            in the last hour.{" "}
            {budget.pausedUntil ? (
              <>
                Paused until <EatTime at={budget.pausedUntil} />: M-Pesa asked us to slow down.
              </>
            ) : (
              "Not paused."
            )}{" "}
            Oldest, then largest, pending payments are asked first.
          </dd>
        </dl>
        <p className="muted small">
          Settings come from the environment (POLL_* variables); change them there and restart.
        </p>
      </section>
      <h2>Last runs</h2>
      {runs.length ? (
        <RunsTable runs={runs} />
      ) : (
        <EmptyState>
          The poller has not run yet. It starts with the server when POLLER_ENABLED is true, or
          press “Run now”.
        </EmptyState>
      )}
      <h2>Runs that went wrong</h2>
      {failures.length ? (
        <RunsTable runs={failures} />
      ) : (
        <EmptyState>No failed runs. Errors from M-Pesa would show here.</EmptyState>
      )}
    </div>
  );
}
