// Daraja's STK callback (resource route; no session, no API key: the path token is the credential).
// Store raw → acknowledge → translate and apply idempotently off the request path
// (docs/daraja.md#callback-delivery). server.ts answers a well-formed POST to this URL without Remix
// (callbacks/hook-http.server.ts), through the same answerHook.
import type { ActionFunctionArgs } from "@remix-run/node";
import { hookResponse, methodNotAllowed } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export const action = ({ request, params, context }: ActionFunctionArgs) =>
  hookResponse(context, "stk", request, params);
