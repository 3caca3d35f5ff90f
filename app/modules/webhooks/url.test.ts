import { deliveryFetch } from "./deliver.server";
import { isPrivateAddress, webhookUrlProblem } from "./url";

const production = { requireHttps: true, allowPrivate: false };
const simulator = { requireHttps: false, allowPrivate: true };

describe("webhook URLs", () => {
  it("accepts a public https URL in production", () => {
    expect(webhookUrlProblem("https://shop.example.com/hooks/mpesa", production)).toBeNull();
    expect(webhookUrlProblem("https://203.0.113.7:8443/hook", production)).toBeNull();
  });

  it.each([
    ["http://shop.example.com/hook", /https/],
    ["ftp://shop.example.com/hook", /https/],
    ["not a url", /full URL/],
    ["https://user:pass@shop.example.com/hook", /password/],
    ["https://localhost/hook", /private/],
    ["https://localhost./hook", /private/],
    ["https://api.localhost/hook", /private/],
    ["https://127.0.0.1/hook", /private/],
    ["https://2130706433/hook", /private/], // 127.0.0.1 spelled as one number
    ["https://0x7f.1/hook", /private/],
    ["https://10.1.2.3/hook", /private/],
    ["https://172.20.0.5/hook", /private/],
    ["https://192.168.1.10/hook", /private/],
    ["https://169.254.169.254/latest/meta-data", /private/], // cloud metadata
    ["https://100.64.0.1/hook", /private/],
    ["https://0.0.0.0/hook", /private/],
    ["https://[::1]/hook", /private/],
    ["https://[fe80::1]/hook", /private/],
    ["https://[fd00::5]/hook", /private/],
    ["https://[::ffff:10.0.0.1]/hook", /private/],
    ["https://intranet/hook", /private/],
    ["https://printer.local/hook", /private/],
  ])("refuses %s in production", (url, reason) => {
    expect(webhookUrlProblem(url, production)).toMatch(reason);
  });

  it("allows http and this machine in simulator or development mode", () => {
    expect(webhookUrlProblem("http://127.0.0.1:4010/hook", simulator)).toBeNull();
    expect(webhookUrlProblem("http://localhost:3000/hook", simulator)).toBeNull();
    expect(webhookUrlProblem("ftp://localhost/hook", simulator)).toMatch(/https/);
  });

  it("tells private from public addresses", () => {
    expect(isPrivateAddress("8.8.8.8")).toBe(false);
    expect(isPrivateAddress("172.32.0.1")).toBe(false);
    expect(isPrivateAddress("2001:4860:4860::8888")).toBe(false);
    expect(isPrivateAddress("172.31.255.255")).toBe(true);
    expect(isPrivateAddress("224.0.0.1")).toBe(true);
  });
});

describe("a delivery's connection", () => {
  const production = { requireHttps: true, allowPrivate: false };
  it.each([
    "http://localhost:65530/hook",
    "http://127.0.0.1:65530/hook",
    "http://[::1]:65530/hook",
  ])("to %s is refused at connect time, on the addresses it would use", async (url) => {
    const refused = (await deliveryFetch(production)(url, { method: "POST", body: "{}" }).then(
      () => null,
      (e: unknown) => e,
    )) as (Error & { cause?: Error }) | null;
    expect(refused).toBeInstanceOf(Error);
    expect(`${refused?.message} ${refused?.cause?.message ?? ""}`).toMatch(/private address/);
  });
});
