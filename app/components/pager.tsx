// Cursor pagination that lives in the URL: shareable links, and the back button returns to the
// previous page. Filters in the query string are kept; only `cursor` changes.
import { Link, useLocation } from "@remix-run/react";

export function Pager({ nextCursor }: { nextCursor: string | null }) {
  const location = useLocation();
  const params = new URLSearchParams(location.search);
  const onFirstPage = !params.get("cursor");
  params.delete("cursor");
  const first = `${location.pathname}${params.size ? `?${params}` : ""}`;
  if (nextCursor) params.set("cursor", nextCursor);
  return (
    <div className="pager">
      {!onFirstPage ? (
        <Link to={first} className="button">
          First page
        </Link>
      ) : null}
      {nextCursor ? (
        <Link to={`${location.pathname}?${params}`} className="button" rel="next">
          Next page
        </Link>
      ) : null}
    </div>
  );
}

export function EmptyState({ children }: { children: React.ReactNode }) {
  return <div className="empty card">{children}</div>;
}
