// Every route × every role: a role without the permission gets 403 from the loader and the action,
// a role with it does not. The table must name every route file, so a new route cannot skip this.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROLES, type Role } from "../../db/schema";
import { can, type Permission } from "../../app/modules/auth/permissions";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { call, get, postForm } from "../support/routes";

type Rule = { loader?: Permission | "signed-in"; action?: Permission };
const PUBLIC = "public" as const;

const ROUTES: Record<string, Rule | typeof PUBLIC> = {
  $: PUBLIC,
  healthz: PUBLIC,
  login: PUBLIC,
  logout: PUBLIC,
  "hooks.daraja.stk.$token": PUBLIC, // authenticated by the secret path token (tests in intake)
  "hooks.daraja.c2b.confirmation.$token": PUBLIC,
  "hooks.daraja.c2b.validation.$token": PUBLIC,
  // Transaction Status / Reversal / Account Balance ResultURL and QueueTimeOutURL (path token).
  "hooks.daraja.$api.result.$token": PUBLIC,
  "hooks.daraja.$api.timeout.$token": PUBLIC,
  _console: { loader: "signed-in" },
  "_console._index": { loader: "reports:read" },
  "_console.search": { loader: "payments:read" },
  "_console.account": { loader: "account:password", action: "account:password" },
  "_console.payments._index": { loader: "payments:read" },
  "_console.payments.$paymentId": { loader: "payments:read", action: "payments:act" },
  "_console.payments.new": { loader: "payments:request", action: "payments:request" },
  "_console.payments.export[.csv]": { loader: "exports:csv" },
  "_console.exceptions._index": { loader: "exceptions:read" },
  "_console.exceptions.export[.csv]": { loader: "exports:csv" },
  "_console.exceptions.bulk": { loader: "exceptions:resolve", action: "exceptions:resolve" },
  "_console.exceptions.$exceptionId": { loader: "exceptions:read", action: "exceptions:resolve" },
  "_console.callbacks._index": { loader: "callbacks:read" },
  "_console.callbacks.export[.csv]": { loader: "exports:csv" },
  "_console.callbacks.$callbackId": { loader: "callbacks:read", action: "callbacks:reprocess" },
  "_console.reconciliation._index": { loader: "statements:read", action: "statements:import" },
  "_console.reconciliation.$importId": { loader: "statements:read", action: "statements:import" },
  "_console.reconciliation.sample-statement[.csv]": { loader: "statements:read" },
  "_console.tariffs": { loader: "reports:read", action: "tariffs:manage" },
  "_console.admin.users": { loader: "users:manage", action: "users:manage" },
  "_console.admin.api-keys": { loader: "apikeys:manage", action: "apikeys:manage" },
  "_console.admin.webhooks._index": { loader: "webhooks:manage", action: "webhooks:manage" },
  "_console.admin.webhooks.$endpointId": { loader: "webhooks:manage", action: "webhooks:manage" },
  "_console.admin.audit": { loader: "audit:read" },
  "admin.audit[.]csv": { loader: "audit:read" },
  "_console.admin.jobs": { loader: "jobs:read", action: "jobs:run" },
  "_console.admin.settings": { loader: "settings:read", action: "settings:manage" },
  // Starting a payment over the API takes an API key (tests/routes/api-payments.test.ts), never a session.
  "api.payments": { loader: "payments:read" },
  "api.payments.$paymentId": { loader: "payments:read" },
  "api.callbacks": { loader: "callbacks:read" },
  "api.exceptions": { loader: "exceptions:read" },
  "api.exceptions.$exceptionId": { loader: "exceptions:read" },
  "api.reports.revenue": { loader: "reports:read" },
};

const ROUTES_DIR = join(import.meta.dirname, "../../app/routes");
const routeFiles = readdirSync(ROUTES_DIR)
  .filter((f) => /\.tsx?$/.test(f) && !/\.test\./.test(f))
  .map((f) => f.replace(/\.tsx?$/, ""));

// Stand-ins for route params: well-formed ids that match nothing (a 404 is "allowed", a 403 is not).
const PARAMS = {
  paymentId: "00000000-0000-4000-8000-000000000000",
  exceptionId: "00000000-0000-4000-8000-000000000000",
  importId: "00000000-0000-4000-8000-000000000000",
  callbackId: "999999999",
  endpointId: "00000000-0000-4000-8000-000000000000",
};

let app: TestApp;
const sessions = {} as Record<Role, Awaited<ReturnType<typeof signedIn>>>;
beforeAll(async () => {
  app = await startTestApp();
  for (const role of ROLES) sessions[role] = await signedIn(app.ctx, role);
});
afterAll(async () => app?.close());

it("names every route file", () => {
  expect(routeFiles.filter((f) => !(f in ROUTES))).toEqual([]);
  expect(Object.keys(ROUTES).filter((r) => !routeFiles.includes(r))).toEqual([]);
});

const cases = Object.entries(ROUTES)
  .filter((entry): entry is [string, Rule] => entry[1] !== PUBLIC)
  .flatMap(([route, rule]) =>
    ROLES.flatMap((role) => [
      ...(rule.loader ? [{ route, role, kind: "loader" as const, permission: rule.loader }] : []),
      ...(rule.action ? [{ route, role, kind: "action" as const, permission: rule.action }] : []),
    ]),
  );

it.each(cases)("$route $kind as $role", async ({ route, role, kind, permission }) => {
  const mod = await import(
    join(
      ROUTES_DIR,
      routeFiles.includes(route) ? `${route}${existsTsx(route) ? ".tsx" : ".ts"}` : route,
    )
  );
  const session = sessions[role];
  const path = `/${route.replace(/^_console\.?/, "").replace(/\./g, "/")}`;
  const request =
    kind === "loader"
      ? get(path, { cookie: session.cookie })
      : postForm(
          path,
          { intent: "__matrix_probe__" },
          { cookie: session.cookie, csrf: session.csrf },
        );
  const response = await call(mod[kind], app.ctx, request, PARAMS);
  const allowed = permission === "signed-in" || can(role, permission);
  if (allowed) {
    expect(response.status, `${role} should reach ${route} ${kind}`).not.toBe(403);
    expect(response.headers.get("Location") ?? "", "not sent to sign in").not.toMatch(/^\/login/);
  } else {
    expect(response.status, `${role} must be refused ${route} ${kind}`).toBe(403);
  }
});

function existsTsx(route: string) {
  return readdirSync(ROUTES_DIR).includes(`${route}.tsx`);
}

it("sends a visitor without a session to sign in, and refuses an action without the CSRF token", async () => {
  const mod = await import(join(ROUTES_DIR, "_console.payments.$paymentId.tsx"));
  const anonymous = await call(mod.loader, app.ctx, get("/payments/x"), PARAMS);
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get("Location")).toMatch(/^\/login/);
  const noCsrf = await call(
    mod.action,
    app.ctx,
    postForm("/payments/x", { intent: "note", note: "hi" }, { cookie: sessions.support.cookie }),
    PARAMS,
  );
  expect(noCsrf.status).toBe(403);
});
