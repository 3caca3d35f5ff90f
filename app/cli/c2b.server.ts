// `npm run cli -- c2b:register [--apply] [--response-type Completed|Cancelled]`: shows the C2B URLs
// this deployment should register (docs/daraja.md#c2b-registration), and registers them with Daraja
// when asked to. Production registration is one-time (changing it needs Safaricom's portal), hence
// print-first.
import { parseArgs } from "node:util";
import type { CliCommand } from "./main";
import { AppError } from "../lib/app-error";
import { c2bUrls, registerC2bUrls } from "../modules/reconciliation/c2b.server";

export const c2bCliCommands: Record<string, CliCommand> = {
  "c2b:register": {
    usage:
      "c2b:register [--apply] [--response-type Completed|Cancelled]   print (or register with Daraja) the C2B URLs",
    async run(ctx, args) {
      const { values } = parseArgs({
        args,
        options: { apply: { type: "boolean" }, "response-type": { type: "string" } },
      });
      const responseType = values["response-type"] ?? "Completed";
      if (responseType !== "Completed" && responseType !== "Cancelled")
        throw new AppError("invalid_request", "--response-type must be Completed or Cancelled");
      const urls = c2bUrls(ctx.config);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(`Short code:       ${ctx.config.mpesa.shortcode} (${ctx.config.mpesa.environment})`);
      out(`Confirmation URL: ${urls.confirmationUrl}`);
      out(`Validation URL:   ${urls.validationUrl}`);
      for (const problem of urls.problems) out(`Problem: ${problem}`);
      if (!values.apply) {
        out("Not registered. Run again with --apply to register these URLs with Daraja.");
        return;
      }
      const { answer } = await registerC2bUrls(ctx, { responseType });
      out(`Registered with Daraja (ResponseType ${responseType}): ${JSON.stringify(answer)}`);
    },
  },
};
