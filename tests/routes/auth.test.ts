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

/** Headers saying which address a request came from (as the server reads it in tests). */
const from = (ip: string) => ({ "x-console-client-ip": ip });

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

  it("refuses an address after five failures for the account from it, even with the right password, for 15 minutes", async () => {
    const user = await makeUser(app.ctx, "support");
    for (let i = 0; i < 5; i++) await signIn(user.email, `wrong ${i} password`, from("10.0.0.7"));
    const blocked = await signIn(user.email, TEST_PASSWORD, from("10.0.0.7"));
    expect(blocked.status).toBe(401);
    expect((await jsonOf(blocked)).error).toMatch(/Too many failed sign-ins/);
    // Someone else's failures at one address do not keep the person out at theirs.
    expect((await signIn(user.email, TEST_PASSWORD, from("10.0.0.8"))).status).toBe(302);
    clock += 16 * 60_000;
    expect((await signIn(user.email, TEST_PASSWORD, from("10.0.0.7"))).status).toBe(302);
  });

  it("after failures spread over many addresses, refuses new addresses but not one the person signed in from", async () => {
    const user = await makeUser(app.ctx, "support");
    expect((await signIn(user.email, TEST_PASSWORD, from("10.1.0.1"))).status).toBe(302);
    // Ten guesses, each from its own address: no address reaches its own limit.
    for (let i = 0; i < 10; i++)
      expect((await signIn(user.email, `guess ${i} password`, from(`10.2.0.${i}`))).status).toBe(
        401,
      );
    const fresh = await signIn(user.email, TEST_PASSWORD, from("10.3.0.1"));
    expect((await jsonOf(fresh)).error).toMatch(/Too many failed sign-ins/);
    // Further guesses from new addresses are not even checked.
    const guess = await signIn(user.email, "guess 11 password", from("10.2.0.11"));
    expect((await jsonOf(guess)).error).toMatch(/Too many failed sign-ins/);
    expect((await signIn(user.email, TEST_PASSWORD, from("10.1.0.1"))).status).toBe(302);
    clock += 16 * 60_000;
    expect((await signIn(user.email, TEST_PASSWORD, from("10.3.0.1"))).status).toBe(302);
  });

  it("counts an address as the person's only after a sign-in from it succeeded, within 30 days", async () => {
    const user = await makeUser(app.ctx, "support");
    const refused = async (password: string, ip: string) =>
      /Too many failed sign-ins/.test(
        (await jsonOf(await signIn(user.email, password, from(ip)))).error ?? "",
      );
    expect((await signIn(user.email, TEST_PASSWORD, from("10.7.0.1"))).status).toBe(302);
    clock += 31 * 24 * 3600_000;
    // An address that only ever failed is not the person's; one they used 31 days ago no longer is.
    await signIn(user.email, "a failed try", from("10.7.0.2"));
    for (let i = 0; i < 10; i++)
      await signIn(user.email, `guess ${i} password`, from(`10.8.0.${i}`));
    expect(await refused(TEST_PASSWORD, "10.7.0.2")).toBe(true);
    expect(await refused(TEST_PASSWORD, "10.7.0.1")).toBe(true);
    clock += 16 * 60_000;
    expect((await signIn(user.email, TEST_PASSWORD, from("10.7.0.1"))).status).toBe(302);
  });

  it("gives back only the slots a successful sign-in took: the person's own does not free a guess elsewhere", async () => {
    const user = await makeUser(app.ctx, "support");
    expect((await signIn(user.email, TEST_PASSWORD, from("10.9.0.1"))).status).toBe(302);
    for (let i = 0; i < 10; i++)
      await signIn(user.email, `guess ${i} password`, from(`10.9.1.${i}`));
    for (let i = 0; i < 3; i++)
      expect((await signIn(user.email, TEST_PASSWORD, from("10.9.0.1"))).status).toBe(302);
    const guess = await signIn(user.email, "guess 10 password", from("10.9.1.10"));
    expect((await jsonOf(guess)).error).toMatch(/Too many failed sign-ins/);
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
