// The demo accounts' passwords are published (README, the simulator's sign-in page). A database
// seeded in simulator mode and then run against real M-Pesa (MPESA_ENVIRONMENT sandbox/production)
// must not let anyone in with them: sign-in is refused and old demo sessions stop working, until an
// admin sets the account a new password. In simulator mode they keep working.
import * as consoleLayout from "../../app/routes/_console";
import { DEMO_LOGINS } from "../../app/modules/auth/demo-logins";
import { resetUserPassword } from "../../app/modules/auth/password-change.server";
import { createStaffSession } from "../../app/modules/auth/sessions.server";
import { createUser } from "../../app/modules/auth/users.server";
import { startTestApp, type TestApp } from "../support/app";
import { actorFor, makeUser } from "../support/factories";
import { call, get, jsonOf } from "../support/routes";
import { postLogin } from "../support/sign-in";

const SANDBOX = {
  MPESA_ENVIRONMENT: "sandbox",
  MPESA_CONSUMER_KEY: "ck-demo-accounts",
  MPESA_CONSUMER_SECRET: "cs-demo-accounts",
  MPESA_SHORTCODE: "174379",
  MPESA_PASSKEY: "pk-demo-accounts",
  SESSION_SECRET: "demo-accounts-test-session-secret-32chars",
};

async function seedDemoUsers(app: TestApp) {
  const made: Record<string, string> = {};
  for (const login of DEMO_LOGINS) made[login.email] = (await createUser(app.ctx.db, login)).id;
  return made;
}
const cookieOf = (res: Response) => res.headers.get("Set-Cookie")?.split(";")[0];
const consoleFor = (app: TestApp, cookie: string) =>
  call(consoleLayout.loader, app.ctx, get("/", { cookie }));

describe("outside simulator mode (sandbox)", () => {
  let app: TestApp;
  let ids: Record<string, string>;
  let simulatorCookie: string;
  beforeAll(async () => {
    app = await startTestApp({ env: SANDBOX });
    ids = await seedDemoUsers(app);
    // A session made back in simulator mode, with the same SESSION_SECRET.
    simulatorCookie = (
      await createStaffSession(app.ctx, ids["admin@demo.test"], {
        ip: "127.0.0.1",
        userAgent: null,
      })
    ).split(";")[0];
  });
  afterAll(async () => app?.close());

  it.each(DEMO_LOGINS.map((d) => [d.email, d.password]))(
    "refuses %s with its published password, saying why",
    async (email, password) => {
      const warn = vi.spyOn(app.ctx.log, "warn");
      const res = await postLogin(app.ctx, { email, password, next: "/" });
      expect(res.status).toBe(401);
      expect(cookieOf(res)).toBeUndefined();
      expect((await jsonOf(res)).error).toMatch(/demo account with a published password/);
      // The log says which account, never the password.
      expect(JSON.stringify(warn.mock.calls)).toContain(email);
      expect(JSON.stringify(warn.mock.calls)).not.toContain(password);
      warn.mockRestore();
    },
  );

  it("ends a demo session made in simulator mode", async () => {
    const res = await consoleFor(app, simulatorCookie);
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toMatch(/^\/login/);
  });

  it("lets the account in once an admin has set it a new password", async () => {
    const admin = await makeUser(app.ctx, "admin");
    await resetUserPassword(
      app.ctx.db,
      { userId: ids["finance@demo.test"], password: "a private password 42" },
      actorFor(admin),
    );
    const res = await postLogin(app.ctx, {
      email: "finance@demo.test",
      password: "a private password 42",
      next: "/",
    });
    expect(res.status).toBe(302);
    expect((await consoleFor(app, cookieOf(res)!)).status).toBe(200);
  });
});

describe("in simulator mode", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    await seedDemoUsers(app);
  });
  afterAll(async () => app?.close());

  it("the demo accounts sign in with their published passwords", async () => {
    const [admin] = DEMO_LOGINS;
    const res = await postLogin(app.ctx, { ...admin, next: "/" });
    expect(res.status).toBe(302);
    expect((await consoleFor(app, cookieOf(res)!)).status).toBe(200);
  });
});
