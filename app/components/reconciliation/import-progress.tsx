// How far a statement import has got: lines parsed, stored and matched, as progress bars
// the page refreshes while the import runs; a failed import says why, and so does a run that stopped
// and is being tried again.
export type ImportProgressView = {
  state: string;
  parsed: number;
  stored: number;
  matched: number;
  lines: number | null;
};

const STATE_TEXT: Record<string, string> = {
  uploading: "Receiving the file…",
  queued: "Waiting to start…",
  storing: "Reading and storing the lines…",
  matching: "Matching the lines with payments…",
};

export function importIsRunning(state: string): boolean {
  return state in STATE_TEXT;
}

export function ImportProgress({
  progress,
  error,
}: {
  progress: ImportProgressView;
  error: string | null;
}) {
  if (progress.state === "failed")
    return (
      <p className="form-error" role="alert">
        This file was not imported: {error ?? "it could not be read"}. Nothing from it was booked.
      </p>
    );
  if (!importIsRunning(progress.state)) return null;
  const n = (x: number) => x.toLocaleString("en-KE");
  // Until the whole file is parsed its length is unknown: the bar for parsing shows activity only.
  const total = progress.lines;
  const bars: [string, number][] = [
    ["Parsed", progress.parsed],
    ["Stored", progress.stored],
    ["Matched", progress.matched],
  ];
  return (
    <section className="card" aria-live="polite" aria-label="Import progress">
      <p>
        <strong>{STATE_TEXT[progress.state]}</strong>{" "}
        <span className="muted">This page updates by itself; you may leave it.</span>
      </p>
      {error ? (
        <p className="banner-warn" role="status" data-testid="import-retrying">
          The last try stopped: {error}. It is tried again by itself.
        </p>
      ) : null}
      <dl className="facts">
        {bars.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>
              <progress
                aria-label={`Lines ${label.toLowerCase()}`}
                value={total ? Math.min(value, total) : undefined}
                max={total ?? undefined}
              />{" "}
              {n(value)}
              {total ? ` of ${n(total)}` : ""} lines
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
