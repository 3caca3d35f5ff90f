// Showing that a secret is set without showing the secret: bullets, plus the last four characters
// when the secret is long enough that four characters give nothing away. Pure, for tests and views.

export const MASK = "••••••••";

export function maskSecret(value: string | null | undefined): string {
  if (!value) return "(not set)";
  return value.length >= 16 ? `${MASK}${value.slice(-4)}` : MASK;
}

/** The URL with the secret replaced by its mask, wherever it appears. */
export function maskInUrl(url: string, secret: string): string {
  return secret ? url.split(secret).join(maskSecret(secret)) : url;
}
