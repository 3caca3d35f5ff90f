// The running configuration (admin only, read-only): Daraja settings with every secret masked, the
// callback URLs to register (masked, with any problem Daraja would reject them for), network and poller.
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { SettingsView } from "../components/admin/settings-view";
import { getSettingsView } from "../modules/admin/settings.server";
import { requirePermission } from "../modules/auth/guards.server";

export const meta: MetaFunction = () => [{ title: "Settings · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "settings:read");
  return json(getSettingsView(context.config));
}

export default function SettingsPage() {
  const settings = useLoaderData<typeof loader>();
  return (
    <div className="admin-page">
      <h1>Settings</h1>
      <SettingsView {...settings} />
    </div>
  );
}
