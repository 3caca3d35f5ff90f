// Disabling a user ends their sessions for good, and no change leaves the console without an enabled
// admin: through the admin users page's action, with real Requests, on a database of its own.
import { and, eq } from "drizzle-orm";
import * as consoleLayout from "../../app/routes/_console";
import * as usersPage from "../../app/routes/_console.admin.users";
import { isAppError } from "../../app/lib/app-error";
import { changeUserAccess, changeUserRole } from "../../app/modules/admin/users.server";
import { SYSTEM_ACTOR } from "../../app/modules/auth/staff-audit.server";
import { staffAudit, users } from "../../db/schema";
import { startTestApp, type TestApp } from "../support/app";
import { actorFor, makeUser, signedIn, TEST_PASSWORD } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";
import { postLogin } from "../support/sign-in";

type Staff = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let admin: Staff;
beforeAll(async () => {
  app = await startTestApp();
  admin = await signedIn(app.ctx, "admin");
});
afterAll(async () => app?.close());

const setAccess = (userId: string, disabled: boolean, as: Staff = admin) =>
  call(
    usersPage.action,
    app.ctx,
    postForm("/admin/users", { intent: "access", userId, disabled: String(disabled) }, as),
  );
const sessionsListed = async () =>
  (await jsonOf(await call(usersPage.loader, app.ctx, get("/admin/users", admin)))).sessions as {
    userId: string;
  }[];
const openConsole = (cookie: string) => call(consoleLayout.loader, app.ctx, get("/", { cookie }));

describe("disabling a user", () => {
  it("ends their sessions: enabling them again does not bring the old cookie back", async () => {
    const finance = await makeUser(app.ctx, "finance");
    const login = await postLogin(app.ctx, { email: finance.email, password: TEST_PASSWORD });
    expect(login.status).toBe(302);
    const cookie = login.headers.get("Set-Cookie")!.split(";")[0];
    expect((await openConsole(cookie)).status).toBe(200);
    expect((await sessionsListed()).some((s) => s.userId === finance.id)).toBe(true);

    const disabled = await setAccess(finance.id, true);
    expect(await jsonOf(disabled)).toMatchObject({ ok: true, message: /sessions end now/ });
    expect((await sessionsListed()).some((s) => s.userId === finance.id)).toBe(false);
    expect((await setAccess(finance.id, false)).status).toBe(200);

    const again = await openConsole(cookie);
    expect(again.status).toBe(302);
    expect(again.headers.get("Location")).toMatch(/^\/login/);
    expect((await sessionsListed()).some((s) => s.userId === finance.id)).toBe(false);
    // Signing in again works: the account is enabled, only the old session is gone.
    const fresh = await postLogin(app.ctx, { email: finance.email, password: TEST_PASSWORD });
    expect(fresh.status).toBe(302);
  });
});

describe("the last enabled admin", () => {
  // This file's database has exactly the admins these tests make; start each from two.
  async function twoAdmins() {
    await app.ctx.db.update(users).set({ disabledAt: new Date() }).where(eq(users.role, "admin"));
    const [a, b] = [await signedIn(app.ctx, "admin"), await signedIn(app.ctx, "admin")];
    return { a, b };
  }
  const enabledAdmins = async () =>
    (await app.ctx.db.select().from(users).where(eq(users.role, "admin"))).filter(
      (u) => !u.disabledAt,
    );
  const refusal = async (work: Promise<unknown>) => {
    try {
      await work;
    } catch (error) {
      if (isAppError(error)) return error;
      throw error;
    }
    return null;
  };

  it("cannot be demoted by an admin whose own demotion committed first (two admins at once)", async () => {
    const { a, b } = await twoAdmins();
    // b demotes a through the page; a's request, already past its role check, then demotes b.
    const first = await call(
      usersPage.action,
      app.ctx,
      postForm("/admin/users", { intent: "role", userId: a.user.id, role: "finance" }, b),
    );
    expect(await jsonOf(first)).toMatchObject({ ok: true });
    const error = await refusal(
      changeUserRole(app.ctx.db, { userId: b.user.id, role: "support" }, a.actor),
    );
    expect(error).toMatchObject({ status: 409, message: /no enabled admin/ });
    expect((await enabledAdmins()).map((u) => u.id)).toEqual([b.user.id]);
    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.action, "user.role"), eq(staffAudit.entityId, b.user.id)));
    expect(audit).toEqual([]);
  });

  it("cannot be disabled by an admin whose own disabling committed first", async () => {
    const { a, b } = await twoAdmins();
    expect(await jsonOf(await setAccess(a.user.id, true, b))).toMatchObject({ ok: true });
    const error = await refusal(
      changeUserAccess(app.ctx.db, { userId: b.user.id, disabled: true }, a.actor),
    );
    expect(error).toMatchObject({ status: 409, message: /no enabled admin/ });
    expect((await enabledAdmins()).map((u) => u.id)).toEqual([b.user.id]);
    // b's session still works: b can still manage users.
    expect((await call(usersPage.loader, app.ctx, get("/admin/users", b))).status).toBe(200);
  });

  it("refuses a command-line (system) change that would leave no enabled admin", async () => {
    const { a, b } = await twoAdmins();
    await changeUserRole(app.ctx.db, { userId: a.user.id, role: "manager" }, SYSTEM_ACTOR);
    // One after the other: each is started only when the one before it has been refused.
    for (const work of [
      () => changeUserRole(app.ctx.db, { userId: b.user.id, role: "finance" }, SYSTEM_ACTOR),
      () => changeUserAccess(app.ctx.db, { userId: b.user.id, disabled: true }, SYSTEM_ACTOR),
    ])
      expect(await refusal(work())).toMatchObject({ status: 409, code: "last_admin" });
    expect((await enabledAdmins()).map((u) => u.id)).toEqual([b.user.id]);
  });

  it("still lets an admin demote and disable other admins while one stays enabled", async () => {
    const { a, b } = await twoAdmins();
    const c = await makeUser(app.ctx, "admin");
    const post = (fields: Record<string, string>) =>
      call(usersPage.action, app.ctx, postForm("/admin/users", fields, a));
    expect(
      await jsonOf(await post({ intent: "role", userId: b.user.id, role: "finance" })),
    ).toMatchObject({ ok: true });
    expect(
      await jsonOf(await post({ intent: "access", userId: c.id, disabled: "true" })),
    ).toMatchObject({ ok: true });
    expect((await enabledAdmins()).map((u) => u.id)).toEqual([a.user.id]);
    // Enabled again, c can take over, and then a may be demoted.
    await changeUserAccess(app.ctx.db, { userId: c.id, disabled: false }, a.actor);
    await changeUserRole(app.ctx.db, { userId: a.user.id, role: "support" }, actorFor(c));
    expect((await enabledAdmins()).map((u) => u.id)).toEqual([c.id]);
  });
});
