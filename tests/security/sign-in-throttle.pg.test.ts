// The sign-in throttle under concurrency (PostgreSQL only: PGlite has one connection, so it cannot
// race): concurrent wrong passwords are checked only up to each limit, and the person still gets in
// from an address they have signed in from.
import {
  MAX_FAILURES_PER_ACCOUNT,
  MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
  signIn,
} from "../../app/modules/auth/users.server";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, TEST_PASSWORD } from "../support/factories";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const guesses = (email: string, ip: (i: number) => string) =>
  Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      signIn(app.ctx, { email, password: `wrong guess ${i}`, ip: ip(i) }),
    ),
  );
const checked = (results: Awaited<ReturnType<typeof signIn>>[]) =>
  results.filter((r) => !r.ok && r.message.startsWith("Email or password")).length;

it("checks at most ten of 30 concurrent wrong passwords from 30 addresses, and lets the person in from their own", async () => {
  const user = await makeUser(app.ctx, "finance");
  expect(
    (await signIn(app.ctx, { email: user.email, password: TEST_PASSWORD, ip: "10.9.9.9" })).ok,
  ).toBe(true);
  const results = await guesses(user.email, (i) => `10.9.0.${i}`);
  expect(checked(results)).toBe(MAX_FAILURES_PER_ACCOUNT);
  // The right password from a new address is refused until the window has passed…
  expect(
    (await signIn(app.ctx, { email: user.email, password: TEST_PASSWORD, ip: "10.9.1.1" })).ok,
  ).toBe(false);
  // …but not from the address the person signed in from.
  expect(
    (await signIn(app.ctx, { email: user.email, password: TEST_PASSWORD, ip: "10.9.9.9" })).ok,
  ).toBe(true);
});

it("checks at most five of 30 concurrent wrong passwords from one address", async () => {
  const user = await makeUser(app.ctx, "finance");
  const results = await guesses(user.email, () => "10.8.0.1");
  expect(checked(results)).toBe(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS);
  expect(
    (await signIn(app.ctx, { email: user.email, password: TEST_PASSWORD, ip: "10.8.0.1" })).ok,
  ).toBe(false);
});
