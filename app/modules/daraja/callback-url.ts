// Checks a CallBackURL before we hand it to Daraja (docs/daraja.md#callback-url,
// #c2b-registration). Daraja only answers "Invalid CallBackURL" without saying why, so we name each
// problem for the admin who set it. Returns every problem found; an empty list means the URL is
// acceptable for that environment.

export type DarajaEnvironment = "simulator" | "sandbox" | "production";

// Safaricom's URL filter (documented for C2B, observed for STK) refuses these words in any case.
const BRAND_WORDS = /m[-_ ]?pesa|safaricom/gi;
const C2B_WORDS = /exec|exe|cmd|sql|query/gi;
// Unfilled templates such as {token} or <your-domain>, raw or percent-encoded.
const PLACEHOLDER = /[{}<>]|%7b|%7d|%3c|%3e/i;
// Tunnels Safaricom says it usually blocks; fine for trying the sandbox, never for production.
const TUNNEL_HOSTS = [
  "ngrok",
  "mockbin",
  "requestbin",
  "pipedream.net",
  "trycloudflare.com",
  "loca.lt",
  "localtunnel",
];

export function validateCallbackUrl(url: string, environment: DarajaEnvironment): string[] {
  const problems: string[] = [];
  if (typeof url !== "string" || url.trim() === "") return ["The callback URL is empty"];
  if (/\s/.test(url)) problems.push("The callback URL contains spaces or line breaks; remove them");
  const text = url.trim();
  if (PLACEHOLDER.test(text))
    problems.push("The callback URL still has a placeholder ({…} or <…>); fill it in");

  const words = found(text, BRAND_WORDS);
  if (words.length)
    problems.push(
      `Daraja refuses callback URLs containing ${quote(words)}; choose a path without it`,
    );
  const c2bWords = found(text, C2B_WORDS);
  if (c2bWords.length)
    problems.push(
      `Daraja refuses callback URLs containing ${quote(c2bWords)} (exe, exec, cmd, sql, query)`,
    );

  const scheme = /^([a-z][a-z\d+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  let parsed: URL | null = null;
  try {
    parsed = new URL(text);
  } catch {
    // reported below
  }
  if (!scheme || !parsed) {
    // A placeholder in the host (https://<your-domain>/…) already explains why it will not parse.
    if (!PLACEHOLDER.test(text))
      problems.push(
        "The callback URL is not a full web address like https://example.com/hooks/daraja/stk/…",
      );
    return problems;
  }
  if (scheme !== "https" && scheme !== "http")
    problems.push("The callback URL must start with https://");
  else if (scheme === "http" && environment === "production")
    problems.push("Production callbacks must use https://, not http://");

  // URL() lowercases the host, so uppercase must be spotted in the text as typed.
  const typedHost = /^[a-z][a-z\d+.-]*:\/\/(?:[^@/?#]*@)?([^/?#:]*)/i.exec(text)?.[1] ?? "";
  if (/[A-Z]/.test(typedHost))
    problems.push(
      `Write the host in lowercase (${typedHost.toLowerCase()}); Daraja rejects uppercase hosts`,
    );
  if (text.includes("?"))
    problems.push("Remove the query string (?…); put the secret token in the path instead");
  if (text.includes("#")) problems.push("Remove the #fragment; it is never sent to the server");

  const host = parsed.hostname.toLowerCase();
  if (environment === "production" && isPrivateHost(host)) {
    problems.push(`Daraja cannot reach ${host} from the internet; production needs a public host`);
  }
  if (environment === "production" && TUNNEL_HOSTS.some((tunnel) => host.includes(tunnel))) {
    problems.push(
      `Tunnel hosts like ${host} are blocked by Safaricom; production needs our own domain`,
    );
  }
  return problems;
}

function found(text: string, pattern: RegExp): string[] {
  return [...new Set([...text.matchAll(pattern)].map((m) => m[0].toLowerCase()))];
}

const quote = (words: string[]) => words.map((w) => `"${w}"`).join(", ");

function isPrivateHost(host: string): boolean {
  if (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.endsWith(".local") ||
    host.endsWith(".internal")
  )
    return true;
  if (!host.includes(".") && !host.startsWith("[")) return true; // bare intranet names like "simulator"
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (host.startsWith("[")) {
    const v6 = host.slice(1, -1);
    return v6 === "::1" || v6 === "::" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
  }
  return false;
}
