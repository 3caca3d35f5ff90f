// The running configuration (admin only, read-only): Daraja settings with every secret masked, the
// callback URLs to register (masked, with any problem Daraja would reject them for), network and poller.
// The one thing set here: the cap on a single reversal (money-out/settings.server.ts).
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { MoneyOutSettings } from "../components/admin/money-out-settings";
import { SettingsView } from "../components/admin/settings-view";
import { AppError } from "../lib/app-error";
import { formAction } from "../lib/http.server";
import { formatKes } from "../lib/money";
import { parseForm } from "../lib/validation";
import { getSettingsView } from "../modules/admin/settings.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import {
  getReversalCap,
  ReversalCapSchema,
  setReversalCap,
} from "../modules/money-out/settings.server";

export const meta: MetaFunction = () => [{ title: "Settings · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "settings:read");
  return json({
    ...getSettingsView(context.config),
    moneyOut: {
      initiatorConfigured: !!context.config.mpesa.initiator,
      allowReversals: context.config.mpesa.allowReversals,
      reversalCapKes: await getReversalCap(context.db),
    },
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "settings:manage");
  return formAction(async () => {
    if (form.get("intent") !== "reversal_cap")
      throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
    const capKes = await setReversalCap(context.db, actor, parseForm(ReversalCapSchema, form));
    return { message: `Reversals are now capped at ${formatKes(capKes)} per request.` };
  });
}

export default function SettingsPage() {
  const { moneyOut, ...settings } = useLoaderData<typeof loader>();
  return (
    <div className="admin-page">
      <h1>Settings</h1>
      <SettingsView {...settings} />
      <MoneyOutSettings {...moneyOut} />
    </div>
  );
}
