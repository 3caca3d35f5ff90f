// Daraja's QueueTimeOutURL for the initiator APIs (status, reversal, balance): resource route, no
// session; the path token is the credential. Stored raw, acknowledged, applied off the request path.
import type { ActionFunctionArgs } from "@remix-run/node";
import { receiveResultHook } from "../modules/callbacks/result-hook.server";
import { methodNotAllowed } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export const action = ({ request, params, context }: ActionFunctionArgs) =>
  receiveResultHook(context, request, params, "timeout");
