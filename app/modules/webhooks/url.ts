// Which URLs may receive merchant webhooks. A webhook is a request our server makes to an address an
// admin typed, so outside simulator and development mode it must be https and must not name this
// machine or a private network (SSRF). The WHATWG URL parser already folds odd IPv4 spellings
// (0x7f.1, 2130706433) into dotted quads, so literal addresses are checked as written here. Pure.

export type UrlPolicy = { requireHttps: boolean; allowPrivate: boolean };

const PRIVATE_V4: [number, number][] = [
  // [network as a 32-bit number, prefix length]
  [0x00000000, 8], // "this network"
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata lives at 169.254.169.254)
  [0xac100000, 12], // 172.16/12
  [0xc0000000, 24], // 192.0.0/24
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xe0000000, 3], // multicast and reserved, through 255.255.255.255
];

function v4ToNumber(address: string): number | null {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** True for loopback, private, link-local, carrier-NAT, multicast and unspecified addresses. */
export function isPrivateAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = v4ToNumber(a);
  if (v4 !== null)
    return PRIVATE_V4.some(([net, bits]) => v4 >>> (32 - bits) === net >>> (32 - bits));
  if (!a.includes(":")) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return isPrivateAddress(mapped[1]);
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(a)) {
    const [hi, lo] = a
      .slice(7)
      .split(":")
      .map((h) => parseInt(h, 16));
    return isPrivateAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return (
    a === "::" ||
    a === "::1" ||
    /^f[cd][0-9a-f]{0,2}:/.test(a) || // unique local fc00::/7
    /^fe[89ab][0-9a-f]?:/.test(a) || // link-local fe80::/10
    /^ff[0-9a-f]{0,2}:/.test(a) // multicast
  );
}

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** The reason a URL may not receive webhooks, or null when it may. */
export function webhookUrlProblem(raw: string, policy: UrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return "Enter a full URL, e.g. https://shop.example.com/hooks/mpesa.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return "The URL must start with https://.";
  if (policy.requireHttps && url.protocol !== "https:") return "The URL must use https://.";
  if (url.username || url.password)
    return "Put no user name or password in the URL; the signature proves the sender.";
  if (url.hash) return "Remove the #fragment from the URL.";
  if (raw.length > 2000) return "The URL is too long.";
  // "localhost." is localhost: a fully qualified name's final dot names nothing else.
  const host = url.hostname.replace(/\.$/, "");
  if (
    !policy.allowPrivate &&
    (isPrivateAddress(host) || LOCAL_NAMES.test(host) || !/\./.test(host))
  )
    return "The URL names this machine or a private network; webhooks go to public addresses only.";
  return null;
}
