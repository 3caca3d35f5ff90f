// Every state-changing console form carries the session's CSRF token (checked by requireStaffAction).
import { useRouteLoaderData } from "@remix-run/react";

export function useCsrfToken(): string {
  const data = useRouteLoaderData("routes/_console") as { csrfToken?: string } | undefined;
  return data?.csrfToken ?? "";
}

export function CsrfInput() {
  return <input type="hidden" name="csrf" value={useCsrfToken()} />;
}

export function useConsoleUser() {
  const data = useRouteLoaderData("routes/_console") as
    | {
        user: {
          id: string;
          name: string;
          email: string;
          role: "admin" | "finance" | "support" | "manager";
        };
      }
    | undefined;
  if (!data) throw new Error("useConsoleUser outside the console layout");
  return data.user;
}
