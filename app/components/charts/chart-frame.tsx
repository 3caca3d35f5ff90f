// Recharts measures its container in the browser (ResponsiveContainer needs ResizeObserver), so the
// server and the first hydration render a caption-sized placeholder with the figures in words; the
// chart itself is drawn once the page has hydrated. Without JavaScript the words remain.
import { useEffect, useState, type ReactElement, type ReactNode } from "react";
import { ResponsiveContainer } from "recharts";

export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/** True on phone-width screens (after hydration), where long axis labels must shrink. */
export function useNarrow(maxWidth = 600): boolean {
  const [narrow, setNarrow] = useState(false);
  useEffect(() => {
    const query = window.matchMedia(`(max-width: ${maxWidth}px)`);
    const update = () => setNarrow(query.matches);
    update();
    query.addEventListener("change", update);
    return () => query.removeEventListener("change", update);
  }, [maxWidth]);
  return narrow;
}

export function ChartFrame({
  title,
  summary,
  empty,
  height = 280,
  testId,
  children,
}: {
  title: string;
  /** What the chart shows, in words: the placeholder before hydration and the chart's accessible name. */
  summary: string;
  /** Set when there is nothing to draw: shown instead of an empty set of axes. */
  empty?: string | null;
  height?: number;
  testId: string;
  children: () => ReactElement;
}) {
  const hydrated = useHydrated();
  let body: ReactNode;
  if (empty) body = <p className="muted chart-empty">{empty}</p>;
  else if (!hydrated) body = <p className="muted chart-placeholder">{summary}</p>;
  else
    body = (
      <ResponsiveContainer width="100%" height="100%">
        {children()}
      </ResponsiveContainer>
    );
  return (
    <section className="card chart-card" data-testid={testId} aria-label={title}>
      <h2>{title}</h2>
      <div className="chart" style={{ height }} role="img" aria-label={summary}>
        {body}
      </div>
    </section>
  );
}
