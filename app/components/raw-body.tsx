// A stored request body shown exactly as received, in a read-only <pre> (React escapes it, so a
// `<script>` payload is text), with the pretty-printed JSON beside it when the body parses.
export function prettyJson(body: string): string | null {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return null;
  }
}

export function RawBody({ body, sizeBytes }: { body: string; sizeBytes?: number }) {
  const pretty = prettyJson(body);
  return (
    <div className="grid-2">
      <div>
        <h3 className="muted">
          Raw body as received
          {sizeBytes !== undefined ? ` (${sizeBytes.toLocaleString("en-KE")} bytes)` : ""}
        </h3>
        <pre className="raw" data-testid="raw-body" aria-label="Raw body">
          {body}
        </pre>
      </div>
      <div>
        <h3 className="muted">Pretty-printed</h3>
        {pretty === null ? (
          <p className="muted">Not valid JSON — shown raw only.</p>
        ) : (
          <pre className="raw" data-testid="pretty-body">
            {pretty}
          </pre>
        )}
      </div>
    </div>
  );
}
