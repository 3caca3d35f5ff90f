// The staff audit log (admin only): every change a person or API key made, newest first, filtered by
// actor, action and entity in the URL, keyset-paginated; the CSV download is admin.audit[.]csv.ts.
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { EatTime } from "../components/format";
import { EmptyState, Pager } from "../components/pager";
import { isAppError, pageError } from "../lib/app-error";
import { parseQuery } from "../lib/validation";
import { AuditFiltersSchema } from "../modules/admin/audit-filters";
import { listStaffAudit } from "../modules/admin/audit-log.server";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";

export const meta: MetaFunction = () => [{ title: "Staff audit · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "audit:read");
  const filters = Object.fromEntries(new URL(request.url).searchParams);
  const canExport = can(session.user.role, "exports:csv");
  try {
    return json({
      ...(await listStaffAudit(context.db, parseQuery(AuditFiltersSchema, request))),
      filters,
      canExport,
      error: null,
    });
  } catch (error) {
    // A stale or hand-edited link (bad cursor) shows the first page and says why.
    if (!isAppError(error)) throw error;
    return json(
      {
        ...(await listStaffAudit(context.db, {})),
        filters: {} as typeof filters,
        canExport,
        error: pageError(error),
      },
      { status: error.status },
    );
  }
}

const ENTITY_LINKS: Record<string, (id: string) => string> = {
  payment: (id) => `/payments/${id}`,
  exception: (id) => `/exceptions/${id}`,
  raw_callback: (id) => `/callbacks/${id}`,
};

const word = (v: unknown): string =>
  v === true
    ? "yes"
    : v === false
      ? "no"
      : v == null || v === ""
        ? "—"
        : typeof v === "object"
          ? JSON.stringify(v)
          : String(v);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** One line per field that changed: "role: support → finance", "disabled: no → yes". */
function Change({ before, after }: { before: unknown; after: unknown }) {
  if (before == null && after == null) return <span className="muted">—</span>;
  if (!isRecord(before ?? {}) || !isRecord(after ?? {}))
    return (
      <span className="small">
        {word(before)} → {word(after)}
      </span>
    );
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return (
    <ul className="changes small">
      {keys.map((k) => (
        <li key={k}>
          <span className="muted">{k.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}:</span>{" "}
          {k in b && k in a ? (
            <>
              {word(b[k])} → <strong>{word(a[k])}</strong>
            </>
          ) : k in a ? (
            <strong>{word(a[k])}</strong>
          ) : (
            <s>{word(b[k])}</s>
          )}
        </li>
      ))}
    </ul>
  );
}

/** A UUID shortened to its first block (the full id is in the title and the CSV). */
const short = (id: string | null) =>
  id && /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(id) ? `${id.slice(0, 8)}…` : id;

export default function AuditPage() {
  const { entries, nextCursor, filters, canExport, error } = useLoaderData<typeof loader>();
  const location = useLocation();
  const csv = new URLSearchParams(location.search);
  csv.delete("cursor");
  return (
    <div className="admin-page">
      <div className="page-head">
        <h1>Staff audit</h1>
        {canExport ? (
          <Link className="button" to={`/admin/audit.csv?${csv}`} reloadDocument>
            Download CSV
          </Link>
        ) : null}
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      ) : null}
      <Form method="get" className="filters" aria-label="Filter the audit">
        <label>
          Actor (name or id)
          <input name="actor" defaultValue={filters.actor ?? ""} />
        </label>
        <label>
          Action
          <input
            name="action"
            defaultValue={filters.action ?? ""}
            placeholder="user.create or payment.*"
            list="audit-actions"
          />
        </label>
        <datalist id="audit-actions">
          {[
            "user.*",
            "apikey.*",
            "payment.*",
            "exception.*",
            "poller.run",
            "callback.*",
            "statement.*",
          ].map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          Entity
          <select name="entityType" defaultValue={filters.entityType ?? ""}>
            <option value="">any</option>
            {[
              "payment",
              "exception",
              "raw_callback",
              "user",
              "api_key",
              "poller_run",
              "statement_import",
              "reconciliation_day",
            ].map((t) => (
              <option key={t} value={t}>
                {t.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </label>
        <label>
          Entity id
          <input name="entityId" defaultValue={filters.entityId ?? ""} />
        </label>
        <label>
          From (EAT)
          <input type="date" name="from" defaultValue={filters.from ?? ""} />
        </label>
        <label>
          To (EAT)
          <input type="date" name="to" defaultValue={filters.to ?? ""} />
        </label>
        <button type="submit" className="primary">
          Filter
        </button>
        <Link to="/admin/audit" className="button">
          Clear
        </Link>
      </Form>
      {entries.length === 0 ? (
        <EmptyState>
          No audit entries match these filters. Clear the filters, or check the spelling of the
          action (e.g. <code>user.create</code>).
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>When (EAT)</th>
                <th>Who</th>
                <th>Action</th>
                <th>On</th>
                <th>Change</th>
                <th>Note</th>
                <th>From</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => {
                const link = e.entityId ? ENTITY_LINKS[e.entityType]?.(e.entityId) : undefined;
                return (
                  <tr key={e.id}>
                    <td>
                      <EatTime at={e.at} zone={false} />
                    </td>
                    <td>{e.actor}</td>
                    <td className="mono">{e.action}</td>
                    <td>
                      {e.entityType.replace(/_/g, " ")}{" "}
                      {e.entityName ? (
                        <strong title={e.entityId ?? undefined}>{e.entityName}</strong>
                      ) : link ? (
                        <Link to={link} className="mono small" title={e.entityId ?? undefined}>
                          {short(e.entityId)}
                        </Link>
                      ) : (
                        <span className="mono small" title={e.entityId ?? undefined}>
                          {short(e.entityId)}
                        </span>
                      )}
                    </td>
                    <td>
                      <Change before={e.before} after={e.after} />
                    </td>
                    <td>{e.note}</td>
                    <td className="mono small">{e.ip}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager nextCursor={nextCursor} />
    </div>
  );
}
