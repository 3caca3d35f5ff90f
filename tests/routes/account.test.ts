// Passwords after the first: every user changes their own (their other sessions end), an admin
// resets someone else's (that user's sessions end); the login page lists demo logins only in
// simulator mode.
import * as consoleLayout from "../../app/routes/_console";
import * as account from "../../app/routes/_console.account";
import * as users from "../../app/routes/_console.admin.users";
import * as login from "../../app/routes/login";
import { listStaffAudit } from "../../app/modules/admin/audit-log.server";
import { PASSWORD_CHANGE_LIMIT } from "../../app/modules/auth/password-change.server";
import { addDays, eatDay } from "../../app/lib/time";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, signedIn, TEST_PASSWORD } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";
import { postLogin } from "../support/sign-in";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const signInAs = (email: string, password: string) =>
  postLogin(app.ctx, { email, password, next: "/" });
const stillSignedIn = async (cookie: string) =>
  (await call(consoleLayout.loader, app.ctx, get("/", { cookie }))).status === 200;
/** An admin sets a temporary password for someone through the admin page's action. */
const resetPassword = (admin: { cookie: string; csrf: string }, userId: string, password: string) =>
  call(
    users.action,
    app.ctx,
    postForm("/admin/users", { intent: "password", userId, password }, admin),
  );
/** A sign-in as the form posts it, from `ip` as the server sees it. */
const signInFrom = (email: string, password: string, ip: string) =>
  postLogin(app.ctx, { email, password, next: "/" }, { "x-console-client-ip": ip });

it("lets a support user change their own password; their other sessions end, this one stays", async () => {
  const me = await signedIn(app.ctx, "support");
  const elsewhere = await signInAs(me.user.email, TEST_PASSWORD);
  const elsewhereCookie = elsewhere.headers.get("Set-Cookie")!.split(";")[0];

  const wrong = await call(
    account.action,
    app.ctx,
    postForm(
      "/account",
      { current: "nope", password: "a-new-password-1", confirm: "a-new-password-1" },
      me,
    ),
  );
  expect(wrong.status).toBe(400);
  expect((await jsonOf(wrong)).error.message).toMatch(/not your current password/);

  const ok = await call(
    account.action,
    app.ctx,
    postForm(
      "/account",
      { current: TEST_PASSWORD, password: "a-new-password-1", confirm: "a-new-password-1" },
      me,
    ),
  );
  expect(ok.status).toBe(200);
  expect(await stillSignedIn(me.cookie)).toBe(true);
  expect(await stillSignedIn(elsewhereCookie)).toBe(false);
  expect((await signInAs(me.user.email, TEST_PASSWORD)).status).toBe(401);
  expect((await signInAs(me.user.email, "a-new-password-1")).status).toBe(302);
});

it("limits guesses of the current password (a stolen session cannot try them at leisure)", async () => {
  const me = await signedIn(app.ctx, "manager");
  const change = (current: string) =>
    call(
      account.action,
      app.ctx,
      postForm(
        "/account",
        { current, password: "another-pass-22", confirm: "another-pass-22" },
        me,
      ),
    );
  for (let i = 0; i < PASSWORD_CHANGE_LIMIT.limit; i++)
    expect((await change(`guess-${i}`)).status).toBe(400);
  const refused = await change(TEST_PASSWORD);
  expect(refused.status).toBe(429);
  expect((await jsonOf(refused)).error.message).toMatch(/Too many password changes/);
  // The right password was not even tried: it still signs in.
  expect((await signInAs(me.user.email, TEST_PASSWORD)).status).toBe(302);
});

it("an admin's reset lets in a person held by failed sign-ins, from wherever they are", async () => {
  const admin = await signedIn(app.ctx, "admin");
  const support = await signedIn(app.ctx, "support");
  const attempt = (password: string, ip: string) => signInFrom(support.user.email, password, ip);
  for (let i = 0; i < 5; i++) await attempt(`wrong ${i} password`, "10.4.0.1");
  for (let i = 0; i < 10; i++) await attempt(`guess ${i} password`, `10.5.0.${i}`);
  expect((await jsonOf(await attempt(TEST_PASSWORD, "10.4.0.1"))).error).toMatch(/Too many/);
  expect((await jsonOf(await attempt(TEST_PASSWORD, "10.6.0.1"))).error).toMatch(/Too many/);
  const reset = await resetPassword(admin, support.user.id, "temporary-pass-43");
  expect(reset.status).toBe(200);
  expect((await attempt("temporary-pass-43", "10.4.0.1")).status).toBe(302);
  expect((await attempt("temporary-pass-43", "10.6.0.1")).status).toBe(302);
});

it("an admin's reset clears only that person's failed sign-ins, not those of an email it begins", async () => {
  const admin = await signedIn(app.ctx, "admin");
  const short = await makeUser(app.ctx, "support", { email: "ann@shop.co" });
  const long = await makeUser(app.ctx, "support", { email: "ann@shop.com" });
  const attempt = signInFrom;
  for (let i = 0; i < 5; i++) await attempt(long.email, `wrong ${i} password`, "10.4.1.1");
  const reset = await resetPassword(admin, short.id, "temporary-pass-44");
  expect(reset.status).toBe(200);
  expect((await jsonOf(await attempt(long.email, TEST_PASSWORD, "10.4.1.1"))).error).toMatch(
    /Too many/,
  );
});

it("lets an admin reset another user's password, which signs that user out", async () => {
  const admin = await signedIn(app.ctx, "admin");
  const finance = await signedIn(app.ctx, "finance");
  const reset = await resetPassword(admin, finance.user.id, "temporary-pass-42");
  expect(reset.status).toBe(200);
  expect((await jsonOf(reset)).message).toMatch(/sessions have ended/);
  expect(await stillSignedIn(finance.cookie)).toBe(false);
  expect((await signInAs(finance.user.email, "temporary-pass-42")).status).toBe(302);

  // The audit names the user the change was about, and its date filter is in EAT days.
  const today = eatDay(app.ctx.now());
  const audit = await listStaffAudit(app.ctx.db, {
    action: "user.password_reset",
    from: today,
    to: today,
  });
  expect(audit.entries.map((e) => e.entityName)).toContain(finance.user.name);
  const tomorrow = await listStaffAudit(app.ctx.db, {
    action: "user.password_reset",
    from: addDays(today, 1),
  });
  expect(tomorrow.entries).toEqual([]);

  const own = await resetPassword(admin, admin.user.id, "x".repeat(12));
  expect(own.status).toBe(400);
});

it("lists the demo logins on the sign-in page in simulator mode", async () => {
  const page = await jsonOf(await call(login.loader, app.ctx, get("/login")));
  expect(app.ctx.config.mpesa.environment).toBe("simulator");
  expect(page.demoLogins.map((d: { email: string }) => d.email)).toContain("admin@demo.test");
});
