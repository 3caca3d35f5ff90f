// The sign-in throttle under concurrency (PostgreSQL only: PGlite has one connection, so it cannot
// race): 30 wrong passwords for one account at once, and only the first five are checked at all.
import { MAX_FAILURES_PER_ACCOUNT, signIn } from "../../app/modules/auth/users.server";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, TEST_PASSWORD } from "../support/factories";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("checks at most five of 30 concurrent wrong passwords for one account", async () => {
  const user = await makeUser(app.ctx, "finance");
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      signIn(app.ctx, { email: user.email, password: `wrong guess ${i}`, ip: `10.9.0.${i}` }),
    ),
  );
  const checked = results.filter((r) => !r.ok && r.message.startsWith("Email or password"));
  const throttled = results.filter((r) => !r.ok && r.message.startsWith("Too many"));
  expect(checked).toHaveLength(MAX_FAILURES_PER_ACCOUNT);
  expect(throttled).toHaveLength(30 - MAX_FAILURES_PER_ACCOUNT);
  // The right password is refused too until the window has passed.
  const right = await signIn(app.ctx, {
    email: user.email,
    password: TEST_PASSWORD,
    ip: "10.9.1.1",
  });
  expect(right.ok).toBe(false);
});
