// Daraja's ResultURL for the initiator APIs (status, reversal, balance): resource route, no
// session; the path token is the credential. Stored raw, acknowledged, applied off the request path.
import type { ActionFunctionArgs } from "@remix-run/node";
import { hookResponse, methodNotAllowed } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export const action = ({ request, params, context }: ActionFunctionArgs) =>
  hookResponse(context, "result", request, params);
