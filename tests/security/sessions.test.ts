// Signing in again keeps the other sessions, but an admin sees every live session on the users page
// and can end one: its cookie stops working at once, and the audit says who ended it.
import { and, eq } from "drizzle-orm";
import { staffAudit } from "../../db/schema";
import * as consoleLayout from "../../app/routes/_console";
import * as usersPage from "../../app/routes/_console.admin.users";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, signedIn, TEST_PASSWORD } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";
import { postLogin } from "../support/sign-in";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("lists another browser's session and ends it", async () => {
  const admin = await signedIn(app.ctx, "admin");
  const user = await makeUser(app.ctx, "support");
  const signIn = () =>
    postLogin(
      app.ctx,
      { email: user.email, password: TEST_PASSWORD },
      { "User-Agent": "LaptopBrowser/1" },
    ).then((r) => r.headers.get("Set-Cookie")!.split(";")[0]);
  const [laptop, phone] = [await signIn(), await signIn()];

  const page = await jsonOf(await call(usersPage.loader, app.ctx, get("/admin/users", admin)));
  const theirs = page.sessions.filter((s: { email: string }) => s.email === user.email);
  expect(theirs).toHaveLength(2);
  expect(page.sessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
  expect(theirs[0]).toMatchObject({ userAgent: "LaptopBrowser/1", ip: "127.0.0.1" });

  const end = await call(
    usersPage.action,
    app.ctx,
    postForm("/admin/users", { intent: "end-session", sessionId: theirs[1].id }, admin),
  );
  expect(end.status).toBe(200);
  const stillIn = await Promise.all(
    [laptop, phone].map(
      async (cookie) => (await call(consoleLayout.loader, app.ctx, get("/", { cookie }))).status,
    ),
  );
  expect(stillIn.sort()).toEqual([200, 302]); // one ended, the other still works
  const audit = await app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.action, "session.end"), eq(staffAudit.entityId, user.id)));
  expect(audit).toHaveLength(1);
});

it("refuses the list and the action to non-admins", async () => {
  const support = await signedIn(app.ctx, "support");
  expect((await call(usersPage.loader, app.ctx, get("/admin/users", support))).status).toBe(403);
  const end = await call(
    usersPage.action,
    app.ctx,
    postForm("/admin/users", { intent: "end-session", sessionId: "a".repeat(64) }, support),
  );
  expect(end.status).toBe(403);
});
