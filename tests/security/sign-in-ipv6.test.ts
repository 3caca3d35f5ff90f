// The per-address sign-in limits count an IPv6 address by its /64: a host may use any address of its
// network's 2^64, so counting each address alone would give a guesser a fresh allowance per address.
import { addressBucket } from "../../app/lib/http.server";
import { MAX_FAILURES_PER_ADDRESS } from "../../app/modules/auth/users.server";
import { startTestApp, type TestApp } from "../support/app";
import { makeUser, TEST_PASSWORD } from "../support/factories";
import { jsonOf } from "../support/routes";
import { postLogin } from "../support/sign-in";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const from = (ip: string) => ({ "x-console-client-ip": ip });
const signIn = (email: string, password: string, ip: string) =>
  postLogin(app.ctx, { email, password, next: "/" }, from(ip));

describe("the address a sign-in limit counts", () => {
  it.each([
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:3:4:1.2.3.4", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::ffff:10.0.0.7", "10.0.0.7"],
    ["10.0.0.7", "10.0.0.7"],
    ["unknown", "unknown"],
  ])("%s counts as %s", (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });
});

describe("signing in over IPv6", () => {
  it("refuses an account after five failures spread over one /64, even with the right password", async () => {
    const user = await makeUser(app.ctx, "support");
    for (let i = 1; i <= 5; i++)
      expect((await signIn(user.email, `wrong ${i} password`, `2001:db8:a:1::${i}`)).status).toBe(
        401,
      );
    const held = await signIn(user.email, TEST_PASSWORD, "2001:db8:a:1::99");
    expect(held.status).toBe(401);
    expect((await jsonOf(held)).error).toMatch(/Too many failed sign-ins/);
    // Another network is someone else: the person still gets in from theirs.
    expect((await signIn(user.email, TEST_PASSWORD, "2001:db8:b:1::5")).status).toBe(302);
  });

  it("refuses a /64 that guessed across many accounts, from an address it has not used yet", async () => {
    for (let i = 1; i <= MAX_FAILURES_PER_ADDRESS; i++)
      await signIn(
        `nobody${i}@example.test`,
        "a guessed password",
        `2001:db8:c:1:${i.toString(16)}::1`,
      );
    const user = await makeUser(app.ctx, "finance");
    const held = await signIn(user.email, TEST_PASSWORD, "2001:db8:c:1:ffff::1");
    expect(held.status).toBe(401);
    expect((await jsonOf(held)).error).toMatch(/Too many failed sign-ins/);
    expect((await signIn(user.email, TEST_PASSWORD, "2001:db8:d:1::1")).status).toBe(302);
  });
});
