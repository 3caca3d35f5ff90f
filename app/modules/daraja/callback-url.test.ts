import { describe, expect, it } from "vitest";
import { type DarajaEnvironment, validateCallbackUrl } from "./callback-url";

const GOOD = "https://pay.example.co.ke/hooks/daraja/stk/k7f2w9q4z1";
const ALL: DarajaEnvironment[] = ["simulator", "sandbox", "production"];

describe("validateCallbackUrl", () => {
  it.each(ALL)("accepts the recommended shape in %s", (environment) => {
    expect(validateCallbackUrl(GOOD, environment)).toEqual([]);
  });

  it.each(ALL)(
    "accepts a non-resolving but well-formed host in %s (Daraja does not probe it)",
    (environment) => {
      expect(
        validateCallbackUrl("https://example.invalid/hooks/daraja/stk/abc", environment),
      ).toEqual([]);
    },
  );

  // Each row: url, environment, the one problem expected (matched loosely so wording can improve).
  it.each<[string, DarajaEnvironment, RegExp]>([
    ["", "sandbox", /empty/],
    ["   ", "production", /empty/],
    [` ${GOOD}`, "production", /spaces/],
    [`${GOOD} `, "production", /spaces/],
    [`${GOOD}\n`, "sandbox", /line breaks/],
    ["https://pay.example.co.ke/hooks/daraja/stk/{token}", "sandbox", /placeholder/],
    ["https://<your-domain>/hooks/daraja/stk/abc", "sandbox", /placeholder/],
    ["https://pay.example.co.ke/hooks/daraja/stk/%7Btoken%7D", "sandbox", /placeholder/],
    ["https://pay.example.co.ke/hooks/daraja/stk/%3Ctoken%3E", "sandbox", /placeholder/],
    ["https://pay.example.co.ke/hooks/mpesa/stk/abc", "sandbox", /"mpesa"/],
    ["https://pay.example.co.ke/hooks/MPESA/stk/abc", "simulator", /"mpesa"/],
    ["https://pay.example.co.ke/hooks/M-PESA/abc", "sandbox", /"m-pesa"/],
    ["https://pay.example.co.ke/hooks/m_pesa/abc", "sandbox", /"m_pesa"/],
    ["https://safaricom-hooks.example.co.ke/stk/abc", "production", /"safaricom"/],
    ["https://pay.example.co.ke/hooks/SafariCom/abc", "sandbox", /"safaricom"/],
    ["https://pay.example.co.ke/hooks/daraja/exe/abc", "sandbox", /"exe"/],
    ["https://pay.example.co.ke/hooks/daraja/EXEC/abc", "sandbox", /"exec"/],
    ["https://pay.example.co.ke/hooks/daraja/cmd/abc", "sandbox", /"cmd"/],
    ["https://pay.example.co.ke/hooks/postgresql/abc", "sandbox", /"sql"/],
    ["https://pay.example.co.ke/hooks/daraja/query/abc", "sandbox", /"query"/],
    ["ftp://pay.example.co.ke/hooks/daraja/stk/abc", "sandbox", /must start with https/],
    ["javascript://pay.example.co.ke/%0aalert(1)", "sandbox", /must start with https/],
    ["pay.example.co.ke/hooks/daraja/stk/abc", "sandbox", /not a full web address/],
    ["/hooks/daraja/stk/abc", "simulator", /not a full web address/],
    ["https://", "sandbox", /not a full web address/],
    [
      "http://pay.example.co.ke/hooks/daraja/stk/abc",
      "production",
      /Production callbacks must use https/,
    ],
    [
      "https://Pay.Example.co.ke/hooks/daraja/stk/abc",
      "sandbox",
      /lowercase \(pay\.example\.co\.ke\)/,
    ],
    ["https://PAY.EXAMPLE.CO.KE:8443/hooks/daraja/stk/abc", "production", /lowercase/],
    ["https://pay.example.co.ke/hooks/daraja/stk/abc?token=k7f2", "sandbox", /query string/],
    ["https://pay.example.co.ke/hooks/daraja/stk/abc#x", "sandbox", /fragment/],
    ["https://localhost:3000/hooks/daraja/stk/abc", "production", /cannot reach localhost/],
    ["https://localhost/hooks/daraja/stk/abc", "production", /cannot reach localhost/],
    ["https://127.0.0.1/hooks/daraja/stk/abc", "production", /cannot reach 127\.0\.0\.1/],
    ["https://127.1.2.3/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://10.0.0.5/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://172.16.4.2/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://172.31.255.255/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://192.168.1.20/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://169.254.169.254/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://0.0.0.0/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://[::1]/hooks/daraja/stk/abc", "production", /cannot reach \[::1\]/],
    ["https://[fd12:3456::1]/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://simulator:4010/hooks/daraja/stk/abc", "production", /cannot reach simulator/],
    ["https://console.local/hooks/daraja/stk/abc", "production", /cannot reach/],
    ["https://abc123.ngrok-free.app/hooks/daraja/stk/abc", "production", /Tunnel hosts/],
    ["https://abc123.ngrok.io/hooks/daraja/stk/abc", "production", /Tunnel hosts/],
    ["https://xyz.mockbin.io/hooks/daraja/stk/abc", "production", /Tunnel hosts/],
    ["https://abc.requestbin.net/hooks/daraja/stk/abc", "production", /Tunnel hosts/],
    ["https://eo1x.m.pipedream.net/hooks/daraja/stk/abc", "production", /Tunnel hosts/],
    [
      "https://quick-brown-fox.trycloudflare.com/hooks/daraja/stk/abc",
      "production",
      /Tunnel hosts/,
    ],
  ])("%j in %s: one problem", (url, environment, problem) => {
    const problems = validateCallbackUrl(url, environment);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  // Local and tunnel hosts are how the simulator and sandbox are reached; HTTP is tolerated there.
  it.each<[string, DarajaEnvironment]>([
    ["http://localhost:3000/hooks/daraja/stk/abc", "simulator"],
    ["http://127.0.0.1:3000/hooks/daraja/stk/abc", "simulator"],
    ["http://simulator:4010/hooks/daraja/stk/abc", "simulator"],
    ["http://192.168.1.20/hooks/daraja/stk/abc", "sandbox"],
    ["http://pay.example.co.ke/hooks/daraja/stk/abc", "sandbox"],
    ["https://abc123.ngrok-free.app/hooks/daraja/stk/abc", "sandbox"],
    ["https://quick-brown-fox.trycloudflare.com/hooks/daraja/stk/abc", "sandbox"],
  ])("accepts %j in %s", (url, environment) => {
    expect(validateCallbackUrl(url, environment)).toEqual([]);
  });

  it("reports every problem at once, in a stable order", () => {
    expect(
      validateCallbackUrl(" http://MyShop.ngrok.io/mpesa/{token}?cmd=1 ", "production"),
    ).toEqual([
      "The callback URL contains spaces or line breaks; remove them",
      "The callback URL still has a placeholder ({…} or <…>); fill it in",
      'Daraja refuses callback URLs containing "mpesa"; choose a path without it',
      'Daraja refuses callback URLs containing "cmd" (exe, exec, cmd, sql, query)',
      "Production callbacks must use https://, not http://",
      "Write the host in lowercase (myshop.ngrok.io); Daraja rejects uppercase hosts",
      "Remove the query string (?…); put the secret token in the path instead",
      "Tunnel hosts like myshop.ngrok.io are blocked by Safaricom; production needs our own domain",
    ]);
  });

  it("names each forbidden word once, the longest form", () => {
    expect(validateCallbackUrl("https://pay.example.co.ke/exec/exe/Exec/abc", "sandbox")).toEqual([
      'Daraja refuses callback URLs containing "exec", "exe" (exe, exec, cmd, sql, query)',
    ]);
  });

  it("reports both the scheme and the host of a local HTTP URL in production", () => {
    expect(validateCallbackUrl("http://localhost:3000/hooks/daraja/stk/abc", "production")).toEqual(
      [
        "Production callbacks must use https://, not http://",
        "Daraja cannot reach localhost from the internet; production needs a public host",
      ],
    );
  });

  it("does not mistake a public address for a private one", () => {
    for (const host of ["172.32.0.1", "192.169.0.1", "11.0.0.1", "196.201.214.200"]) {
      expect(validateCallbackUrl(`https://${host}/hooks/daraja/stk/abc`, "production")).toEqual([]);
    }
  });
});
