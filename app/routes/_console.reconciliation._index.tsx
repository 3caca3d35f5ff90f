// Statement reconciliation: upload an M-PESA org portal statement, the list of imports, and the daily
// status that finance signs off. Upload needs statements:import, sign-off reconciliation:signoff.
import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { BalancePanel } from "../components/reconciliation/balance-panel";
import { ErrorPage } from "../components/error-page";
import { EmptyState, Pager } from "../components/pager";
import { eatDay } from "../lib/time";
import { DayStatusTable } from "../components/reconciliation/day-status";
import { ImportTable } from "../components/reconciliation/import-list";
import { StatementUploadForm } from "../components/reconciliation/upload-form";
import { AppError, forbidden, isAppError, pageError } from "../lib/app-error";
import { formAction } from "../lib/http.server";
import type { FormResult } from "../lib/form-result";
import { multipartReader } from "../lib/upload.server";
import { parseWith } from "../lib/validation";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { getBalanceComparison } from "../modules/money-out/balance-compare.server";
import { requestAccountBalance } from "../modules/money-out/balance.server";
import { can } from "../modules/auth/permissions";
import { listRecentDays, signOffDay } from "../modules/reconciliation/days.server";
import { startStatementImport } from "../modules/reconciliation/import.server";
import { ImportListSchema } from "../modules/reconciliation/list-params";
import { listStatementImports } from "../modules/reconciliation/queries.server";

export const meta: MetaFunction = () => [{ title: "Reconciliation · M-Pesa console" }];

// A 200,000-line month is about 41 MB as CSV; anything much larger is more than one statement.
const MAX_UPLOAD_MB = 64;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "statements:read");
  const cursor = new URL(request.url).searchParams.get("cursor") ?? undefined;
  const query = parseWith(ImportListSchema, { cursor });
  const refused: { error?: AppError } = {};
  const [page, days, balance] = await Promise.all([
    listStatementImports(context.db, query).catch((caught: unknown) => {
      if (!isAppError(caught)) throw caught;
      refused.error = caught; // a mangled cursor: say so, show the first page
      return listStatementImports(context.db, {});
    }),
    listRecentDays(context.db),
    getBalanceComparison(context.db),
  ]);
  const role = session.user.role;
  return json(
    {
      imports: page.imports,
      nextCursor: page.nextCursor,
      error: refused.error ? pageError(refused.error) : null,
      days,
      canImport: can(role, "statements:import"),
      canSignOff: can(role, "reconciliation:signoff"),
      today: eatDay(context.now()),
      balance: { ...balance, canQuery: can(role, "payments:money_out") },
    },
    { status: refused.error?.status ?? 200 },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  return formAction<{ importId?: string; status?: string; day?: string }>(async () => {
    // The body's type names the action, so the permission is checked before a large upload is read.
    const upload = (request.headers.get("content-type") ?? "")
      .toLowerCase()
      .startsWith("multipart/form-data");
    const { actor, form } = await requireStaffAction(
      context,
      request,
      upload ? "statements:import" : "reconciliation:signoff",
      upload ? multipartReader(MAX_UPLOAD_MB * 1_048_576) : undefined,
    );
    const intent = form.get("intent");
    if (upload && intent === "upload") {
      const file = form.get("statement");
      if (!(file instanceof File) || file.size === 0)
        throw new AppError("invalid_request", "Choose the statement file (CSV) to upload.", {
          field: "statement",
        });
      // Answers as soon as the file is kept; the import runs as a job the import page follows.
      const result = await startStatementImport(context, {
        fileName: file.name || "statement.csv",
        input: new Uint8Array(await file.arrayBuffer()),
        actor,
      });
      if (result.status === "queued") return redirect(`/reconciliation/${result.importId}`);
      return {
        message: result.message,
        data: { importId: result.importId, status: result.status },
      };
    }
    if (!upload && intent === "signoff") {
      const result = await signOffDay(
        context,
        { day: String(form.get("day") ?? ""), note: String(form.get("note") ?? "") },
        actor,
      );
      return { message: result.message, data: { day: result.status.day } };
    }
    if (!upload && intent === "balance_query") {
      // An initiator request (money-out's permission), whatever the page's own permission covers.
      if (!can(actor.role, "payments:money_out")) throw forbidden();
      return requestAccountBalance(context, actor);
    }
    throw new AppError("invalid_request", "Unknown action.");
  });
}

export default function Reconciliation() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<FormResult<{ importId?: string }>>();
  return (
    <>
      <div className="page-head">
        <h1>Reconciliation</h1>
      </div>
      <p className="muted">
        The M-Pesa statement is the only independent record of money that moved. Import it daily;
        every difference becomes a proposal or an exception.
      </p>
      {data.error ? (
        <p className="form-error" role="alert">
          {data.error.message} <Link to="/reconciliation">First page</Link>
        </p>
      ) : null}
      {result && !result.ok ? (
        <p className="form-error" role="alert">
          {result.error.message}
        </p>
      ) : null}
      {result?.ok ? (
        <p className="form-ok" role="status">
          {result.message}{" "}
          {result.data?.importId ? (
            <Link to={`/reconciliation/${result.data.importId}`}>Open the import</Link>
          ) : null}
        </p>
      ) : null}
      {data.canImport ? <StatementUploadForm maxMb={MAX_UPLOAD_MB} /> : null}
      <BalancePanel {...data.balance} />
      <h2>Daily status</h2>
      {data.days.length ? (
        <DayStatusTable days={data.days} canSignOff={data.canSignOff} today={data.today} />
      ) : (
        <EmptyState>
          No statement lines yet: import a statement to see each day's reconciliation.
        </EmptyState>
      )}
      <h2>Imports</h2>
      {data.imports.length ? (
        <ImportTable rows={data.imports} />
      ) : (
        <EmptyState>No statements imported yet.</EmptyState>
      )}
      <Pager nextCursor={data.nextCursor} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
