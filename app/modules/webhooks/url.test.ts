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
    ["https://[64:ff9b::169.254.169.254]/latest/meta-data", /private/], // NAT64 to the metadata
    ["https://[2002:a9fe:a9fe::1]/hook", /private/], // 6to4 from 169.254.169.254
    ["https://[fec0::1]/hook", /private/],
    ["https://intranet/hook", /private/],
    ["https://printer.local/hook", /private/],
  ])("refuses %s in production", (url, reason) => {
    expect(webhookUrlProblem(url, production)).toMatch(reason);
  });

  it("allows http and this machine in simulator mode", () => {
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

  it("judges IPv6 addresses that carry an IPv4 address by that address", () => {
    // NAT64 (64:ff9b::/96): a translator on the network forwards these to the IPv4 in the last 32 bits.
    expect(isPrivateAddress("64:ff9b::a9fe:a9fe")).toBe(true); // 169.254.169.254
    expect(isPrivateAddress("64:ff9b::7f00:1")).toBe(true); // 127.0.0.1
    expect(isPrivateAddress("64:ff9b::808:808")).toBe(false); // 8.8.8.8
    expect(isPrivateAddress("64:ff9b:1::a00:1")).toBe(true); // local-use translators are private
    // 6to4 (2002::/16): the IPv4 sits in bits 16-48.
    expect(isPrivateAddress("2002:a9fe:a9fe::1")).toBe(true);
    expect(isPrivateAddress("2002:0a00:0001::1")).toBe(true); // 10.0.0.1
    expect(isPrivateAddress("2002:0808:0808::1")).toBe(false); // 8.8.8.8
    // Mapped, also written out in full and as hex groups.
    expect(isPrivateAddress("0:0:0:0:0:ffff:a00:1")).toBe(true);
    expect(isPrivateAddress("::ffff:808:808")).toBe(false);
    // Site-local (deprecated, still routed inside some networks) and Teredo.
    expect(isPrivateAddress("fec0::1")).toBe(true);
    expect(isPrivateAddress("feff::1")).toBe(true);
    expect(isPrivateAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2")).toBe(true);
    // What does not parse as an address is not taken for a public one.
    expect(isPrivateAddress("1:2:3")).toBe(true);
    expect(isPrivateAddress("::1::")).toBe(true);
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
