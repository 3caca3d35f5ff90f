// Reading a Daraja answer's body (docs/daraja.md#daraja-errors): parsed JSON, raw text, an HTML
// gateway page or nothing. Only a JSON object is an envelope; the gateway's own faults are read too.
export type Envelope = {
  record: Record<string, unknown> | null;
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
};

export function text(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

// Bodies arrive parsed, as raw text, as an HTML gateway page or empty; only a JSON object counts.
export function readEnvelope(body: unknown): Envelope {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      value = null;
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { record: null };
  const record = value as Record<string, unknown>;
  // The API gateway (Apigee) answers some failures with {"fault":{"faultstring":…,"detail":{"errorcode":…}}}.
  const fault =
    record.fault && typeof record.fault === "object"
      ? (record.fault as Record<string, unknown>)
      : undefined;
  const detail =
    fault?.detail && typeof fault.detail === "object"
      ? (fault.detail as Record<string, unknown>)
      : undefined;
  return {
    record,
    errorCode: text(record.errorCode) ?? text(detail?.errorcode),
    errorMessage: text(record.errorMessage) ?? text(fault?.faultstring),
    requestId: text(record.requestId),
  };
}

/** A body that is an HTML page (readJson keeps non-JSON text as `{ unparsed }`). */
export function isHtmlPage(body: unknown): boolean {
  const text =
    typeof body === "string"
      ? body
      : typeof (body as { unparsed?: unknown } | null)?.unparsed === "string"
        ? (body as { unparsed: string }).unparsed
        : "";
  return /^\s*(<!doctype html|<html)/i.test(text);
}

/** No JSON object to read: an empty body, an HTML page or other text (readJson's `{ unparsed }`). */
export function isUnreadable(body: unknown): boolean {
  const { record } = readEnvelope(body);
  return !record || (typeof record.unparsed === "string" && Object.keys(record).length === 1);
}
