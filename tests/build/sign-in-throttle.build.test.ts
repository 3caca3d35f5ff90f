// Failed sign-ins on the BUILT server (behind a proxy, TRUST_PROXY on): guesses spread over many
// addresses hold the account at new addresses, but the person still signs in where they did before;
// five failures from one address hold only that address.
import { startSuiteServer, type BuiltServer } from "./support/server";

let s: BuiltServer;
beforeAll(async () => {
  s = await startSuiteServer({ label: "sign-in-throttle", env: { TRUST_PROXY: "true" } });
});
afterAll(async () => s?.stop());

const EMAIL = "support@demo.test";
const PASSWORD = "demo-support-pass";

/** Signs in as a browser does (the form's token and cookie), from `ip` as the proxy reports it. */
async function signInFrom(ip: string, password: string, email = EMAIL) {
  const form = await fetch(`${s.baseUrl}/login?_data=routes%2Flogin`, {
    headers: { "X-Forwarded-For": ip },
  });
  const { loginToken } = (await form.json()) as { loginToken: string };
  const response = await fetch(`${s.baseUrl}/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: s.baseUrl,
      Cookie: (form.headers.get("set-cookie") ?? "").split(";")[0],
      "X-Forwarded-For": ip,
    },
    body: new URLSearchParams({ email, password, next: "/", loginToken }),
  });
  // Signed in: the redirect to `next`; refused: the form again, with the reason.
  return { signedIn: response.status === 302, text: await response.text() };
}

it("guesses from many addresses do not keep the person out where they signed in before", async () => {
  expect((await signInFrom("203.0.113.5", PASSWORD)).signedIn).toBe(true);
  for (let i = 0; i < 10; i++) {
    const guess = await signInFrom(`198.51.100.${i + 1}`, `wrong guess ${i}`);
    expect(guess.signedIn).toBe(false);
    expect(guess.text).toContain("Email or password is incorrect.");
  }
  const elsewhere = await signInFrom("192.0.2.1", PASSWORD);
  expect(elsewhere.signedIn).toBe(false);
  expect(elsewhere.text).toContain("Too many failed sign-ins");
  expect((await signInFrom("203.0.113.5", PASSWORD)).signedIn).toBe(true);
});

it("five failures from one address hold that address only", async () => {
  const email = "finance@demo.test";
  for (let i = 0; i < 5; i++) await signInFrom("198.51.100.77", `wrong ${i}`, email);
  const held = await signInFrom("198.51.100.77", "demo-finance-pass", email);
  expect(held.text).toContain("Too many failed sign-ins");
  expect((await signInFrom("198.51.100.78", "demo-finance-pass", email)).signedIn).toBe(true);
});
