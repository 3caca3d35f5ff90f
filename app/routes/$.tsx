// Anything no other route claims: a real 404 page rather than Remix's bare default.
export function loader() {
  throw new Response(null, { status: 404, statusText: "Not Found" });
}

export { ErrorPage as ErrorBoundary } from "../components/error-page";

export default function NotFound() {
  return null;
}
