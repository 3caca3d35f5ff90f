// The routes `npm run bench:console` measures. Add a line when you add a page or API list: `file` is
// the route module under app/routes (skipped, with a note, while it does not exist), `url` builds the
// request from sample rows of the seeded database, `target` is the p95 budget in milliseconds.

export type Samples = {
  today: string;
  yearAgo: string;
  paymentId: string;
  receipt: string;
  orderRef: string;
  phone: string;
  checkoutRequestId: string;
  exceptionId: string;
  callbackId: string;
  importId: string | null;
};

export type BenchRoute = {
  name: string;
  file: string;
  url: (s: Samples) => string | null;
  params?: (s: Samples) => Record<string, string>;
  /** p95 budget: 150 ms for pages and lists, 300 ms for the dashboard's aggregates. */
  target: number;
};

const PAGE = 150;
const AGGREGATE = 300;

export const BENCH_ROUTES: BenchRoute[] = [
  { name: "console layout (every page)", file: "_console.tsx", url: () => "/", target: PAGE },
  {
    name: "dashboard, last 30 days",
    file: "_console._index.tsx",
    url: () => "/",
    target: AGGREGATE,
  },
  {
    name: "dashboard, 12 weeks",
    file: "_console._index.tsx",
    url: () => "/?interval=week",
    target: AGGREGATE,
  },
  {
    name: "dashboard, 12 months",
    file: "_console._index.tsx",
    url: () => "/?interval=month",
    target: AGGREGATE,
  },
  {
    name: "revenue API, 30 days",
    file: "api.reports.revenue.ts",
    url: () => "/api/reports/revenue",
    target: AGGREGATE,
  },
  {
    name: "revenue API, a year by day",
    file: "api.reports.revenue.ts",
    url: (s) => `/api/reports/revenue?from=${s.yearAgo}&to=${s.today}&interval=day`,
    target: AGGREGATE,
  },

  {
    name: "payments list",
    file: "_console.payments._index.tsx",
    url: () => "/payments",
    target: PAGE,
  },
  {
    name: "payments, status failed",
    file: "_console.payments._index.tsx",
    url: () => "/payments?status=failed",
    target: PAGE,
  },
  {
    name: "payments, by phone",
    file: "_console.payments._index.tsx",
    url: (s) => `/payments?phone=${s.phone}`,
    target: PAGE,
  },
  {
    name: "payments, largest first",
    file: "_console.payments._index.tsx",
    url: () => "/payments?sort=amount_desc",
    target: PAGE,
  },
  {
    name: "payments, a year",
    file: "_console.payments._index.tsx",
    url: (s) => `/payments?from=${s.yearAgo}&to=${s.today}`,
    target: PAGE,
  },
  {
    name: "payment page",
    file: "_console.payments.$paymentId.tsx",
    url: (s) => `/payments/${s.paymentId}`,
    params: (s) => ({ paymentId: s.paymentId }),
    target: PAGE,
  },
  {
    name: "search by receipt",
    file: "_console.search.tsx",
    url: (s) => `/search?q=${s.receipt}`,
    target: PAGE,
  },
  {
    name: "search by CheckoutRequestID",
    file: "_console.search.tsx",
    url: (s) => `/search?q=${s.checkoutRequestId}`,
    target: PAGE,
  },
  {
    name: "search by order ref",
    file: "_console.search.tsx",
    url: (s) => `/search?q=${s.orderRef}`,
    target: PAGE,
  },
  {
    name: "search by phone",
    file: "_console.search.tsx",
    url: (s) => `/search?q=0${s.phone.slice(3)}`,
    target: PAGE,
  },

  {
    name: "exception queue",
    file: "_console.exceptions._index.tsx",
    url: () => "/exceptions",
    target: PAGE,
  },
  {
    name: "exceptions, all resolved",
    file: "_console.exceptions._index.tsx",
    url: () => "/exceptions?status=resolved",
    target: PAGE,
  },
  {
    name: "exception page",
    file: "_console.exceptions.$exceptionId.tsx",
    url: (s) => `/exceptions/${s.exceptionId}`,
    params: (s) => ({ exceptionId: s.exceptionId }),
    target: PAGE,
  },
  {
    name: "callback log",
    file: "_console.callbacks._index.tsx",
    url: () => "/callbacks",
    target: PAGE,
  },
  {
    name: "callbacks, orphans",
    file: "_console.callbacks._index.tsx",
    url: () => "/callbacks?outcome=orphan",
    target: PAGE,
  },
  {
    name: "callback page",
    file: "_console.callbacks.$callbackId.tsx",
    url: (s) => `/callbacks/${s.callbackId}`,
    params: (s) => ({ callbackId: s.callbackId }),
    target: PAGE,
  },
  {
    name: "reconciliation",
    file: "_console.reconciliation._index.tsx",
    url: () => "/reconciliation",
    target: PAGE,
  },
  {
    name: "statement import",
    file: "_console.reconciliation.$importId.tsx",
    url: (s) => (s.importId ? `/reconciliation/${s.importId}` : null),
    params: (s) => ({ importId: s.importId ?? "" }),
    target: PAGE,
  },

  {
    name: "admin: users",
    file: "_console.admin.users.tsx",
    url: () => "/admin/users",
    target: PAGE,
  },
  {
    name: "admin: API keys",
    file: "_console.admin.api-keys.tsx",
    url: () => "/admin/api-keys",
    target: PAGE,
  },
  {
    name: "admin: staff audit",
    file: "_console.admin.audit.tsx",
    url: () => "/admin/audit",
    target: PAGE,
  },
  {
    name: "admin: audit, by action",
    file: "_console.admin.audit.tsx",
    url: () => "/admin/audit?action=user.*",
    target: PAGE,
  },
  {
    name: "admin: poller",
    file: "_console.admin.jobs.tsx",
    url: () => "/admin/jobs",
    target: PAGE,
  },
  {
    name: "admin: settings",
    file: "_console.admin.settings.tsx",
    url: () => "/admin/settings",
    target: PAGE,
  },

  { name: "API: payments", file: "api.payments.ts", url: () => "/api/payments", target: PAGE },
  {
    name: "API: payments, paid",
    file: "api.payments.ts",
    url: () => "/api/payments?status=paid",
    target: PAGE,
  },
  {
    name: "API: one payment",
    file: "api.payments.$paymentId.ts",
    url: (s) => `/api/payments/${s.paymentId}`,
    params: (s) => ({ paymentId: s.paymentId }),
    target: PAGE,
  },
  {
    name: "API: exceptions",
    file: "api.exceptions.ts",
    url: () => "/api/exceptions",
    target: PAGE,
  },
  {
    name: "API: one exception",
    file: "api.exceptions.$exceptionId.ts",
    url: (s) => `/api/exceptions/${s.exceptionId}`,
    params: (s) => ({ exceptionId: s.exceptionId }),
    target: PAGE,
  },
  { name: "API: callbacks", file: "api.callbacks.ts", url: () => "/api/callbacks", target: PAGE },
];

/**
 * Route files with a loader that are left out on purpose: static or trivial pages, Daraja's hooks
 * (their GET is a 405), and streaming CSV downloads (their cost is the client's read speed).
 * Any other unmeasured loader is printed, so the list keeps up with the app.
 */
export const NOT_MEASURED_ON_PURPOSE =
  /^(\$\.tsx|healthz\.ts|login\.tsx|logout\.tsx|_console\.payments\.new\.tsx|hooks\..*|.*csv.*)$/;
