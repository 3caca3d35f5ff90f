// Daraja's C2B validation (docs/daraja.md#c2b-validation): stored raw like every callback and
// always accepted, since a refusal turns the customer's payment away; matching waits for the
// confirmation.
import type { ActionFunctionArgs } from "@remix-run/node";
import { hookResponse, methodNotAllowed } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export const action = ({ request, params, context }: ActionFunctionArgs) =>
  hookResponse(context, "c2b_validation", request, params);
