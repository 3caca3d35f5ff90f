// Daraja's C2B confirmation (docs/daraja.md#c2b-confirmation; resource route, the path token is the
// credential). Exactly the STK hook's rules: store raw → acknowledge with HTTP 200 → the applier
// claims and applies it (and the sweep retries it if that fails or the process stops).
import type { ActionFunctionArgs } from "@remix-run/node";
import { hookResponse, methodNotAllowed } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export const action = ({ request, params, context }: ActionFunctionArgs) =>
  hookResponse(context, "c2b_confirmation", request, params);
