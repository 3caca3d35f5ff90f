// Re-runs the page's loaders every few seconds while something is still moving (a payment waiting
// for the customer), and stops once it is final or the tab is hidden.
import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef } from "react";

export function useLiveRevalidation(live: boolean, intervalMs = 2000) {
  const revalidator = useRevalidator();
  // The revalidator changes identity on every render; the timer reads the latest through a ref.
  const latest = useRef(revalidator);
  latest.current = revalidator;
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && latest.current.state === "idle")
        latest.current.revalidate();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [live, intervalMs]);
}
