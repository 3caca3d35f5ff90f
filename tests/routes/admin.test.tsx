// The admin pages through their loaders and actions with real Requests: only admins get in, every
// change lands in the staff audit, a new API key is shown once and never again, the audit pages and
// exports, the poller's "run now", and a settings page that never carries a secret.
import { renderToString } from "react-dom/server";
import { and, eq } from "drizzle-orm";
import { SettingsView } from "../../app/components/admin/settings-view";
import * as apiKeysPage from "../../app/routes/_console.admin.api-keys";
import * as auditPage from "../../app/routes/_console.admin.audit";
import * as jobsPage from "../../app/routes/_console.admin.jobs";
import * as settingsPage from "../../app/routes/_console.admin.settings";
import * as usersPage from "../../app/routes/_console.admin.users";
import * as auditCsv from "../../app/routes/admin.audit[.]csv";
import * as revenueApi from "../../app/routes/api.reports.revenue";
import { pollerRuns, staffAudit, type Role } from "../../db/schema";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";

type Staff = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let admin: Staff;
const others: Partial<Record<Role, Staff>> = {};

beforeAll(async () => {
  app = await startTestApp();
  admin = await signedIn(app.ctx, "admin");
  for (const role of ["finance", "support", "manager"] as const)
    others[role] = await signedIn(app.ctx, role);
});
afterAll(async () => app?.close());

const PAGES = {
  users: usersPage,
  "api-keys": apiKeysPage,
  audit: auditPage,
  jobs: jobsPage,
  settings: settingsPage,
} as const;
const load = (page: keyof typeof PAGES, as: Staff, query = "") =>
  call(PAGES[page].loader, app.ctx, get(`/admin/${page}${query}`, as));
const post = (page: "users" | "api-keys" | "jobs", as: Staff, fields: Record<string, string>) =>
  call(PAGES[page].action, app.ctx, postForm(`/admin/${page}`, fields, as));
const audit = (action: string) =>
  app.ctx.db.select().from(staffAudit).where(eq(staffAudit.action, action));

describe("who gets in", () => {
  const nonAdmins = ["finance", "support", "manager"] as const;
  it.each(Object.keys(PAGES))("opens /admin/%s for an admin", async (page) => {
    expect((await load(page as keyof typeof PAGES, admin)).status).toBe(200);
  });

  it.each(nonAdmins.flatMap((role) => Object.keys(PAGES).map((page) => [role, page] as const)))(
    "refuses %s on /admin/%s with 403",
    async (role, page) => {
      const res = await load(page as keyof typeof PAGES, others[role]!);
      expect(res.status).toBe(403);
      expect((await jsonOf(res)).error.code).toBe("forbidden");
    },
  );

  it.each(
    nonAdmins.flatMap(
      (role) =>
        [
          [
            role,
            "users",
            {
              intent: "create",
              email: `x-${role}@example.test`,
              name: "X",
              role: "admin",
              password: "long enough password",
            },
          ],
          [role, "api-keys", { intent: "create", name: "sneaky", role: "admin" }],
          [role, "jobs", {}],
        ] as const,
    ),
  )(
    "refuses a %s posting to /admin/%s with 403 and changes nothing",
    async (role, page, fields) => {
      const res = await post(page, others[role]!, { ...fields, csrf: others[role]!.csrf });
      expect(res.status).toBe(403);
      const { users } = await jsonOf(await load("users", admin));
      const { keys } = await jsonOf(await load("api-keys", admin));
      expect(users.map((u: { email: string }) => u.email)).not.toContain(`x-${role}@example.test`);
      expect(keys.map((k: { name: string }) => k.name)).not.toContain("sneaky");
    },
  );

  it("refuses an admin's form without the session's CSRF token", async () => {
    const res = await call(
      usersPage.action,
      app.ctx,
      postForm(
        "/admin/users",
        {
          intent: "create",
          email: "csrf@example.test",
          name: "C",
          role: "support",
          password: "long enough password",
        },
        { cookie: admin.cookie, csrf: "wrong" },
      ),
    );
    expect(res.status).toBe(403);
    expect(
      (await audit("user.create")).filter(
        (a) => (a.after as { email: string }).email === "csrf@example.test",
      ),
    ).toEqual([]);
  });

  it("refuses the audit CSV to non-admins", async () => {
    expect(
      (await call(auditCsv.loader, app.ctx, get("/admin/audit.csv", others.finance))).status,
    ).toBe(403);
  });
});

describe("users", () => {
  it("creates a user with a role, changes the role, disables and enables — each audited", async () => {
    const created = await post("users", admin, {
      intent: "create",
      email: "new.agent@example.test",
      name: "New Agent",
      role: "support",
      password: "a long password 1",
      csrf: admin.csrf,
    });
    expect(await jsonOf(created)).toMatchObject({
      ok: true,
      message: expect.stringContaining("new.agent@example.test"),
    });
    const { users } = await jsonOf(await load("users", admin));
    const user = users.find((u: { email: string }) => u.email === "new.agent@example.test");
    expect(user).toMatchObject({ role: "support", disabledAt: null });
    expect(JSON.stringify(users)).not.toMatch(/passwordHash|scrypt/);

    expect(
      (
        await post("users", admin, {
          intent: "role",
          userId: user.id,
          role: "finance",
          csrf: admin.csrf,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await post("users", admin, {
          intent: "access",
          userId: user.id,
          disabled: "true",
          csrf: admin.csrf,
        })
      ).status,
    ).toBe(200);
    expect(
      (await jsonOf(await load("users", admin))).users.find(
        (u: { id: string }) => u.id === user.id,
      ),
    ).toMatchObject({ role: "finance", disabledAt: expect.any(String) });
    expect(
      (
        await post("users", admin, {
          intent: "access",
          userId: user.id,
          disabled: "false",
          csrf: admin.csrf,
        })
      ).status,
    ).toBe(200);

    const trail = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.entityType, "user"), eq(staffAudit.entityId, user.id)));
    expect(trail.map((a) => [a.action, a.actorUserId])).toEqual([
      ["user.create", admin.user.id],
      ["user.role", admin.user.id],
      ["user.disable", admin.user.id],
      ["user.enable", admin.user.id],
    ]);
    expect(trail[1]).toMatchObject({ before: { role: "support" }, after: { role: "finance" } });
  });

  it("ends a disabled user's session at once", async () => {
    const agent = await signedIn(app.ctx, "support");
    expect((await call(auditPage.loader, app.ctx, get("/admin/audit", agent))).status).toBe(403);
    await post("users", admin, {
      intent: "access",
      userId: agent.user.id,
      disabled: "true",
      csrf: admin.csrf,
    });
    expect((await call(auditPage.loader, app.ctx, get("/admin/audit", agent))).status).toBe(302);
  });

  it.each([
    [
      {
        intent: "create",
        email: "not-an-email",
        name: "N",
        role: "support",
        password: "a long password 1",
      },
      "email",
    ],
    [
      {
        intent: "create",
        email: "dup@example.test",
        name: "N",
        role: "owner",
        password: "a long password 1",
      },
      "role",
    ],
    [{ intent: "role", userId: "not-a-uuid", role: "finance" }, "userId"],
  ])("answers a bad form (%j) with 400 naming the field", async (fields, field) => {
    const res = await post("users", admin, { ...fields, csrf: admin.csrf });
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error.field).toBe(field);
  });

  it("will not let an admin demote or disable themselves", async () => {
    const role = await post("users", admin, {
      intent: "role",
      userId: admin.user.id,
      role: "manager",
      csrf: admin.csrf,
    });
    expect(await jsonOf(role)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("your own role") },
    });
    const access = await post("users", admin, {
      intent: "access",
      userId: admin.user.id,
      disabled: "true",
      csrf: admin.csrf,
    });
    expect(await jsonOf(access)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("your own account") },
    });
  });
});

describe("API keys", () => {
  it("shows a new key once, never again, and the key works until revoked", async () => {
    const res = await post("api-keys", admin, {
      intent: "create",
      name: "BI export",
      role: "manager",
      csrf: admin.csrf,
    });
    const body = await jsonOf(res);
    const key: string = body.data.key;
    expect(key).toMatch(/^mck_[A-Za-z0-9_-]{40,}$/);

    const listing = await jsonOf(await load("api-keys", admin));
    const row = listing.keys.find((k: { name: string }) => k.name === "BI export");
    expect(row).toMatchObject({
      role: "manager",
      prefix: key.slice(0, 12),
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(JSON.stringify(listing)).not.toContain(key);
    expect(JSON.stringify(listing)).not.toMatch(/keyHash/);

    expect(
      (await call(revenueApi.loader, app.ctx, get("/api/reports/revenue", { bearer: key }))).status,
    ).toBe(200);
    expect(
      (await jsonOf(await load("api-keys", admin))).keys.find(
        (k: { id: string }) => k.id === row.id,
      ).lastUsedAt,
    ).toEqual(expect.any(String));

    expect(
      (await post("api-keys", admin, { intent: "revoke", keyId: row.id, csrf: admin.csrf })).status,
    ).toBe(200);
    expect(
      (await call(revenueApi.loader, app.ctx, get("/api/reports/revenue", { bearer: key }))).status,
    ).toBe(401);
    const again = await post("api-keys", admin, {
      intent: "revoke",
      keyId: row.id,
      csrf: admin.csrf,
    });
    expect(again.status).toBe(404);

    const trail = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.entityType, "api_key"), eq(staffAudit.entityId, row.id)));
    expect(trail.map((a) => a.action)).toEqual(["apikey.create", "apikey.revoke"]);
    expect(JSON.stringify(trail)).not.toContain(key);
  });

  it("answers an unknown key id with 404, not a crash", async () => {
    expect(
      (await post("api-keys", admin, { intent: "revoke", keyId: "nope", csrf: admin.csrf })).status,
    ).toBe(404);
  });
});

describe("the staff audit page", () => {
  it("filters by action, actor and entity, newest first", async () => {
    const creates = await jsonOf(await load("audit", admin, "?action=user.create"));
    expect(creates.entries.length).toBeGreaterThan(0);
    expect(creates.entries.every((e: { action: string }) => e.action === "user.create")).toBe(true);
    const byPrefix = await jsonOf(await load("audit", admin, "?action=apikey.*"));
    expect(new Set(byPrefix.entries.map((e: { action: string }) => e.action))).toEqual(
      new Set(["apikey.create", "apikey.revoke"]),
    );
    const byActor = await jsonOf(
      await load("audit", admin, `?actor=${admin.user.id}&entityType=user`),
    );
    expect(byActor.entries.length).toBeGreaterThan(0);
    expect(
      byActor.entries.every(
        (e: { actorUserId: string; entityType: string }) =>
          e.actorUserId === admin.user.id && e.entityType === "user",
      ),
    ).toBe(true);
    const times = byActor.entries.map((e: { at: string; id: number }) => [e.at, e.id]);
    expect(times).toEqual(
      [...times].sort((a, b) => (a[0] === b[0] ? b[1] - a[1] : a[0] < b[0] ? 1 : -1)),
    );
  });

  it("pages with a cursor in the URL and explains a broken one", async () => {
    const first = await jsonOf(await load("audit", admin, "?limit=2"));
    expect(first.entries).toHaveLength(2);
    const second = await jsonOf(await load("audit", admin, `?limit=2&cursor=${first.nextCursor}`));
    expect(second.entries[0].id).not.toBe(first.entries[0].id);
    expect(second.entries.map((e: { id: number }) => e.id)).not.toContain(first.entries[1].id);
    const broken = await jsonOf(await load("audit", admin, "?cursor=garbage"));
    expect(broken.error.message).toMatch(/cursor/);
  });

  it("exports the filtered audit as CSV", async () => {
    const res = await call(auditCsv.loader, app.ctx, get("/admin/audit.csv?action=user.*", admin));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/text\/csv/);
    const lines = (await res.text()).trim().split("\n");
    expect(lines[0]).toBe(
      "Time (EAT),Time (UTC),Actor,Action,Entity type,Entity id,Before,After,Note,IP address",
    );
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.slice(1).every((l) => /,user\.(create|role|disable|enable),user,/.test(l))).toBe(
      true,
    );
  });
});

describe("the poller page", () => {
  it("shows what is due and runs a sweep on request, recorded as a console run and in the audit", async () => {
    const before = await jsonOf(await load("jobs", admin));
    expect(before).toMatchObject({ due: 0, canRun: true, settings: { firstAfterS: 30 } });
    const res = await post("jobs", admin, { csrf: admin.csrf });
    expect(await jsonOf(res)).toMatchObject({ ok: true, message: expect.any(String) });
    const runs = await app.ctx.db
      .select()
      .from(pollerRuns)
      .where(eq(pollerRuns.trigger, "console"));
    expect(runs).toHaveLength(1);
    const after = await jsonOf(await load("jobs", admin));
    expect(after.runs[0]).toMatchObject({ trigger: "console", id: runs[0].id });
    expect(await audit("poller.run")).toEqual([
      expect.objectContaining({ actorUserId: admin.user.id, entityId: String(runs[0].id) }),
    ]);
  });
});

describe("the settings page", () => {
  const secrets = () => [
    app.ctx.config.mpesa.consumerKey,
    app.ctx.config.mpesa.consumerSecret,
    app.ctx.config.mpesa.passkey,
    app.ctx.config.mpesa.callbackToken,
  ];

  it("never carries a secret, in the loader data or the HTML", async () => {
    const data = await jsonOf(await load("settings", admin));
    const html = renderToString(<SettingsView {...data} />);
    for (const secret of secrets()) {
      expect(JSON.stringify(data)).not.toContain(secret);
      expect(html).not.toContain(secret);
    }
    expect(data.secrets.find((s: { env: string }) => s.env === "MPESA_PASSKEY").masked).toBe(
      `••••••••${app.ctx.config.mpesa.passkey.slice(-4)}`,
    );
    expect(data.callbackUrls[0].masked).toBe(`${app.appUrl}/hooks/daraja/stk/••••••••oken`);
    expect(html).toContain("Daraja should accept this URL.");
  });
});
