// Which URLs may receive merchant webhooks. A webhook is a request our server makes to an address an
// admin typed, so unless the policy relaxes it (only simulator mode does: urlPolicyOf in
// endpoints.server.ts) it must be https and must not name this machine or a private network (SSRF).
// The WHATWG URL parser already folds odd IPv4 spellings (0x7f.1, 2130706433) into dotted quads, so
// literal addresses are checked as written here. Pure.

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

/** An IPv6 address as its eight 16-bit groups (a trailing dotted quad allowed), or null. */
function v6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, ""); // a zone id (fe80::1%eth0) names an interface, not a host
  const quad = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const n = v4ToNumber(quad[2]);
    if (n === null) return null;
    text = `${quad[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const [head, tail] = halves.map((h) => (h === "" ? [] : h.split(":")));
  const written = [...head, ...(tail ?? [])];
  if (written.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  if (tail ? written.length > 7 : written.length !== 8) return null;
  const zeros: string[] = Array(8 - written.length).fill("0");
  return [...head, ...zeros, ...(tail ?? [])].map((g) => parseInt(g, 16));
}

const v4Private = (n: number) =>
  PRIVATE_V4.some(([net, bits]) => n >>> (32 - bits) === net >>> (32 - bits));
const v4Of = (hi: number, lo: number) => hi * 0x10000 + lo;

/**
 * True for loopback, private, link-local, carrier-NAT, multicast and unspecified addresses, and for
 * IPv6 addresses that lead to one of them. Prefixes that carry an IPv4 address are judged by that
 * address, since a packet to them ends up there: IPv4-mapped and IPv4-compatible (::/96, which also
 * covers :: and ::1), NAT64's well-known 64:ff9b::/96 (the last 32 bits) and 6to4's 2002::/16 (bits
 * 16-48), so 64:ff9b::a9fe:a9fe is the metadata address and 2002:808:808::1 is public 8.8.8.8.
 * Refused outright: the rest of ::/64 and 64:ff9b::/32 (64:ff9b:1::/48 is for private translators),
 * Teredo's 2001::/32 (the IPv4 it reaches is obscured, and nobody serves webhooks over Teredo),
 * unique-local fc00::/7, link-local fe80::/10, the deprecated site-local fec0::/10, discard 100::/64,
 * multicast ff00::/8, and anything with a colon that does not parse as IPv6.
 */
export function isPrivateAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "").toLowerCase();
  const v4 = v4ToNumber(a);
  if (v4 !== null) return v4Private(v4);
  if (!a.includes(":")) return false;
  const g = v6Groups(a);
  if (!g) return true;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 4)) {
    const embeds =
      (g[4] === 0 && (g[5] === 0 || g[5] === 0xffff)) || (g[4] === 0xffff && g[5] === 0);
    return embeds ? v4Private(v4Of(g[6], g[7])) : true;
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) return zero(2, 6) ? v4Private(v4Of(g[6], g[7])) : true;
  if (g[0] === 0x2002) return v4Private(v4Of(g[1], g[2]));
  return (
    (g[0] === 0x2001 && g[1] === 0) || // Teredo
    (g[0] === 0x100 && zero(1, 4)) || // discard-only
    (g[0] & 0xfe00) === 0xfc00 || // unique local
    (g[0] & 0xffc0) === 0xfe80 || // link-local
    (g[0] & 0xffc0) === 0xfec0 || // site-local (deprecated, still routed inside some networks)
    (g[0] & 0xff00) === 0xff00 // multicast
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
