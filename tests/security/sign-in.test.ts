// The sign-in form against the attacks on it: an open redirect through `next`, login CSRF (a form on
// another site, `Origin: null`, no pre-session token), oversized bodies and passwords, and a forged
// X-Forwarded-Host.
import * as login from "../../app/routes/login";
import { safeNext } from "../../app/lib/safe-redirect";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, signedIn, TEST_PASSWORD } from "../support/factories";
import { call, jsonOf, postForm } from "../support/routes";
import { loginFormToken, postLogin } from "../support/sign-in";
import * as paymentPage from "../../app/routes/_console.payments.$paymentId";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

describe("after sign-in, `next`", () => {
  const OFF_SITE = [
    "/\\evil.example",
    "/\\/evil.example/x",
    "//evil.example",
    "///evil.example",
    "https://evil.example/payments",
    "http:evil.example",
    "/.//evil.example",
    "\\\\evil.example",
    " //evil.example",
    "javascript:alert(1)",
  ];

  it.each(OFF_SITE)("%s goes home, not off-site", async (next) => {
    const user = await makeUser(app.ctx, "manager");
    const response = await postLogin(app.ctx, { email: user.email, password: TEST_PASSWORD, next });
    expect(response.status).toBe(302);
    const location = response.headers.get("Location")!;
    expect(new URL(location, "http://console.test").origin).toBe("http://console.test");
    expect(location.startsWith("//")).toBe(false);
  });

  it("keeps a path on this site with its query", () => {
    expect(safeNext("/payments?status=paid", "http://console.test")).toBe("/payments?status=paid");
    expect(safeNext("http://console.test/exceptions", "http://console.test")).toBe("/exceptions");
  });
});

describe("login CSRF", () => {
  it("refuses a sign-in without the form's pre-session token", async () => {
    const user = await makeUser(app.ctx, "finance");
    const bare = await call(
      login.action,
      app.ctx,
      postForm("/login", { email: user.email, password: TEST_PASSWORD }),
    );
    expect(bare.status).toBe(403);
    expect(bare.headers.get("Set-Cookie")).toBeNull();
    // Another browser's token does not fit this browser's cookie.
    const mine = await loginFormToken(app.ctx);
    const theirs = await loginFormToken(app.ctx);
    const mixed = await call(
      login.action,
      app.ctx,
      postForm(
        "/login",
        { email: user.email, password: TEST_PASSWORD, loginToken: theirs.token },
        { cookie: mine.cookie },
      ),
    );
    expect(mixed.status).toBe(403);
  });

  it("refuses `Origin: null` on sign-in and on every console form", async () => {
    const user = await makeUser(app.ctx, "finance");
    const signIn = await postLogin(
      app.ctx,
      { email: user.email, password: TEST_PASSWORD },
      { Origin: "null" },
    );
    expect(signIn.status).toBe(403);
    expect(signIn.headers.get("Set-Cookie")).toBeNull();
    const support = await signedIn(app.ctx, "support");
    const note = await call(
      paymentPage.action,
      app.ctx,
      postForm(
        "/payments/00000000-0000-4000-8000-000000000000",
        { intent: "note", body: "x" },
        { cookie: support.cookie, csrf: support.csrf, headers: { Origin: "null" } },
      ),
      { paymentId: "00000000-0000-4000-8000-000000000000" },
    );
    expect(note.status).toBe(403);
  });

  it("trusts X-Forwarded-Host only behind TRUST_PROXY", async () => {
    const user = await makeUser(app.ctx, "finance");
    const forged = await postLogin(
      app.ctx,
      { email: user.email, password: TEST_PASSWORD },
      { Origin: "https://evil.example", "X-Forwarded-Host": "evil.example" },
    );
    expect(forged.status).toBe(403);
  });
});

describe("limits", () => {
  it("refuse a sign-in body over 8 KB with 413 before hashing anything", async () => {
    const user = await makeUser(app.ctx, "finance");
    const response = await postLogin(app.ctx, {
      email: user.email,
      password: "x".repeat(100_000),
    });
    expect(response.status).toBe(413);
  });

  it("refuse a password over 256 characters as a plain wrong password", async () => {
    const user = await makeUser(app.ctx, "finance");
    const response = await postLogin(app.ctx, { email: user.email, password: "x".repeat(300) });
    expect(response.status).toBe(401);
    expect((await jsonOf(response)).error).toBe("Email or password is incorrect.");
  });
});
