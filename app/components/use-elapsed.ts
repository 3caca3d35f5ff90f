// Seconds since `active` became true (0 while inactive): lets a long wait say what is happening
// instead of one unchanging "Sending…".
import { useEffect, useState } from "react";

export function useElapsedSeconds(active: boolean): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    setSeconds(0);
    if (!active) return;
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return seconds;
}

/** What a person sees while M-Pesa has not yet answered a push. */
export function pushWaitText(seconds: number): string {
  if (seconds < 4) return "Sending prompt…";
  if (seconds < 10) return `Waiting for M-Pesa to accept the prompt (${seconds} s)…`;
  return `M-Pesa is slow to answer (${seconds} s). Keep this page open: if no answer comes, the payment is kept as "unknown" and checked again automatically, so it is never charged twice.`;
}
