// A webhook endpoint form's fields as the domain's input (checkboxes arrive as repeated fields).
import type { EndpointInput } from "./endpoints.server";

export function endpointInputFrom(form: FormData): EndpointInput {
  return {
    url: String(form.get("url") ?? ""),
    description: String(form.get("description") ?? ""),
    eventTypes: form.getAll("eventTypes").map(String) as EndpointInput["eventTypes"],
    role: String(form.get("role") ?? "") as EndpointInput["role"],
    enabled: form.get("enabled") === "on",
  };
}
