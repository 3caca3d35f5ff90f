// Signing in and out, session expiry, throttling and CSRF, through the real login/logout routes.
import * as consoleLayout from "../../app/routes/_console";
import * as logout from "../../app/routes/logout";
import * as health from "../../app/routes/healthz";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, TEST_PASSWORD } from "../support/factories";
import { call, get, jsonOf, postForm } from "../support/routes";
import { postLogin } from "../support/sign-in";

let app: TestApp;
let clock = Date.now();
beforeAll(async () => {
  app = await startTestApp({ env: { SESSION_TTL_HOURS: "1" }, now: () => new Date(clock) });
});
afterAll(async () => app?.close());

async function signIn(email: string, password: string, headers: Record<string, string> = {}) {
  return postLogin(app.ctx, { email, password, next: "/payments" }, headers);
}

describe("signing in", () => {
  it("with the right password sets an httpOnly, SameSite=Lax session cookie and goes to `next`", async () => {
    const user = await makeUser(app.ctx, "finance");
    const response = await signIn(user.email, TEST_PASSWORD);
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/payments");
    const cookie = response.headers.get("Set-Cookie")!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const layout = await call(
      consoleLayout.loader,
      app.ctx,
      get("/", { cookie: cookie.split(";")[0] }),
    );
    expect((await jsonOf(layout)).user).toMatchObject({ email: user.email, role: "finance" });
  });

  it("with a wrong password shows one message that does not say which part was wrong", async () => {
    const user = await makeUser(app.ctx, "support");
    const wrong = await signIn(user.email, "not the password");
    expect(wrong.status).toBe(401);
    expect((await jsonOf(wrong)).error).toBe("Email or password is incorrect.");
    const unknown = await signIn("nobody@example.test", "whatever pass");
    expect((await jsonOf(unknown)).error).toBe("Email or password is incorrect.");
  });

  it("refuses after five failures for the account, even with the right password, for 15 minutes", async () => {
    const user = await makeUser(app.ctx, "support");
    for (let i = 0; i < 5; i++)
      await signIn(user.email, `wrong ${i} password`, { "x-console-client-ip": `10.0.0.${i}` });
    const blocked = await signIn(user.email, TEST_PASSWORD);
    expect(blocked.status).toBe(401);
    expect((await jsonOf(blocked)).error).toMatch(/Too many failed sign-ins/);
    clock += 16 * 60_000;
    expect((await signIn(user.email, TEST_PASSWORD)).status).toBe(302);
  });

  it("does not redirect off-site after sign-in", async () => {
    const user = await makeUser(app.ctx, "manager");
    const response = await postLogin(app.ctx, {
      email: user.email,
      password: TEST_PASSWORD,
      next: "//evil.example/x",
    });
    expect(response.headers.get("Location")).toBe("/");
  });

  it("refuses a sign-in form posted from another site", async () => {
    const user = await makeUser(app.ctx, "manager");
    const response = await postLogin(
      app.ctx,
      { email: user.email, password: TEST_PASSWORD },
      { Origin: "https://evil.example" },
    );
    expect(response.status).toBe(403);
  });
});

describe("sessions", () => {
  it("expire after SESSION_TTL_HOURS: the console then sends you to sign in", async () => {
    const user = await makeUser(app.ctx, "support");
    const cookie = (await signIn(user.email, TEST_PASSWORD)).headers
      .get("Set-Cookie")!
      .split(";")[0];
    expect((await call(consoleLayout.loader, app.ctx, get("/payments", { cookie }))).status).toBe(
      200,
    );
    clock += 61 * 60_000;
    const expired = await call(consoleLayout.loader, app.ctx, get("/payments", { cookie }));
    expect(expired.status).toBe(302);
    expect(expired.headers.get("Location")).toBe("/login?next=%2Fpayments");
  });

  it("end at sign-out: the old cookie no longer works", async () => {
    const user = await makeUser(app.ctx, "support");
    const cookie = (await signIn(user.email, TEST_PASSWORD)).headers
      .get("Set-Cookie")!
      .split(";")[0];
    const out = await call(logout.action, app.ctx, postForm("/logout", {}, { cookie }));
    expect(out.headers.get("Location")).toBe("/login");
    expect((await call(consoleLayout.loader, app.ctx, get("/", { cookie }))).status).toBe(302);
  });

  it("are not accepted with a forged cookie", async () => {
    const response = await call(
      consoleLayout.loader,
      app.ctx,
      get("/", { cookie: "__console_session=forged.value" }),
    );
    expect(response.status).toBe(302);
  });
});

describe("health", () => {
  it("reports the process and the database", async () => {
    const response = await call(health.loader, app.ctx, get("/healthz"));
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({
      status: "ok",
      database: { ok: true },
      environment: "simulator",
    });
  });
});
