// Liveness and database reachability for load balancers and `curl`; no secrets, no session.
import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { checkDatabase } from "../modules/health.server";

export async function loader({ context }: LoaderFunctionArgs) {
  const database = await checkDatabase(context);
  return json(
    {
      status: database.ok ? "ok" : "degraded",
      database,
      environment: context.config.mpesa.environment,
    },
    {
      status: database.ok ? 200 : 503,
      headers: { "Cache-Control": "no-store" },
    },
  );
}
