// One look for every status word (payment, attempt, callback outcome, exception state).
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {label ?? status.replace(/_/g, " ")}
    </span>
  );
}
