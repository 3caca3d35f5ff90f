// The control API under /__sim/ (JSON in, JSON out): inspect state, reset, reconfigure, force the
// next outcome/callback/query, and act as the customer (handset, C2B payments).
import type { z } from "zod";
import { createBulkTransactions } from "./bulk";
import { sendC2bConfirmation } from "./c2b";
import { callbackStyle, deliver, stkCallbackBody } from "./callbacks";
import type { Exchange, Sim } from "./context";
import * as schemas from "./control-schemas";
import { sendControlError, sendJson } from "./http-io";
import { actOnHandset, handsetView, normalisePhone, type HandsetAction } from "./handset";
import { initiatorView, queueInitiatorOutcome } from "./initiator";
import { TEST_NUMBERS } from "./outcomes";
import { promptView, snapshot } from "./snapshot";
import type { Scenario } from "./scenario-format";
import { loadLibrary } from "./scenario-library";
import { handleSelfTestState } from "./self-test-page";

export interface ControlHooks {
  /** Clears state (and, when asked, config back to the start-up options). */
  reset(restoreConfig: boolean): void;
}

type ControlHandler = (sim: Sim, ex: Exchange, hooks: ControlHooks) => void | Promise<void>;

function parse<S extends z.ZodType>(schema: S, ex: Exchange): z.infer<S> | null {
  let raw: unknown = {};
  try {
    if (ex.rawBody.trim() !== "") raw = JSON.parse(ex.rawBody);
  } catch {
    sendControlError(ex.res, 400, "bad_json", "the body is not JSON");
    return null;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const message = result.error.issues
    .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
    .join("; ");
  sendControlError(ex.res, 400, "bad_input", message);
  return null;
}

const state: ControlHandler = (sim, ex) =>
  sendJson(ex.res, 200, snapshot(sim, { summary: ex.url.searchParams.has("summary") }));

const reset: ControlHandler = (sim, ex, hooks) => {
  const input = parse(schemas.ResetSchema, ex);
  if (!input) return;
  hooks.reset(input.config === true);
  sendJson(ex.res, 200, { ok: true, config: sim.config });
};

const config: ControlHandler = (sim, ex) => {
  const input = parse(schemas.ConfigSchema, ex);
  if (!input) return;
  const { clock, phoneFormByNumber, callbackShape, ...rest } = input;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  sim.config = { ...sim.config, ...defined };
  if (phoneFormByNumber) {
    const merged = { ...sim.config.phoneFormByNumber };
    for (const [phone, form] of Object.entries(phoneFormByNumber)) {
      if (form === null) delete merged[phone];
      else merged[phone] = form;
    }
    sim.config.phoneFormByNumber = merged;
  }
  if (callbackShape) {
    const set = Object.fromEntries(
      Object.entries(callbackShape).filter(([, v]) => v !== undefined),
    );
    sim.config.callbackShape = { ...sim.config.callbackShape, ...set };
  }
  if (clock !== undefined)
    sim.config.clock = { now: clock?.now ?? null, offsetMs: clock?.offsetMs ?? 0 };
  sendJson(ex.res, 200, { ok: true, config: sim.config, now: new Date(sim.now()).toISOString() });
};

const nextOutcome: ControlHandler = (sim, ex) => {
  const input = parse(schemas.NextOutcomeSchema, ex);
  if (!input) return;
  sim.state.next.outcomes.push(input.outcome);
  sendJson(ex.res, 200, { ok: true, queued: sim.state.next.outcomes });
};

const nextCallback: ControlHandler = (sim, ex) => {
  const input = parse(schemas.NextCallbackSchema, ex);
  if (!input) return;
  sim.state.next.callbacks.push(input.action);
  sendJson(ex.res, 200, { ok: true, queued: sim.state.next.callbacks });
};

const nextQuery: ControlHandler = (sim, ex) => {
  const input = parse(schemas.NextQuerySchema, ex);
  if (!input) return;
  for (let i = 0; i < (input.times ?? 1); i++) sim.state.next.queries.push(input.response);
  sendJson(ex.res, 200, { ok: true, queued: sim.state.next.queries.length });
};

const nextPush: ControlHandler = (sim, ex) => {
  const input = parse(schemas.NextPushSchema, ex);
  if (!input) return;
  for (let i = 0; i < (input.times ?? 1); i++)
    sim.state.next.pushes.push({ response: input.response, prompt: input.prompt ?? true });
  sendJson(ex.res, 200, { ok: true, queued: sim.state.next.pushes.length });
};

/** Arms scenario scripts: given inline, or by name from the scenario library. */
const armScenarios: ControlHandler = async (sim, ex) => {
  const input = parse(schemas.ArmScenariosSchema, ex);
  if (!input) return;
  const armed: Scenario[] = [...(input.scenarios ?? [])];
  if (input.scenario) armed.push(input.scenario);
  if (input.names?.length || input.all) {
    const library = await loadLibrary(sim);
    if (!library.ok) return sendControlError(ex.res, 500, "bad_library", library.error);
    const wanted = input.all ? library.scenarios : [];
    for (const name of input.names ?? []) {
      const found = library.scenarios.find((s) => s.name === name);
      if (!found) return sendControlError(ex.res, 404, "unknown_scenario", `no scenario ${name}`);
      wanted.push(found);
    }
    armed.push(...wanted);
  }
  const phones = new Set<string>();
  for (const scenario of armed) {
    if (phones.has(scenario.payment.phone))
      return sendControlError(
        ex.res,
        400,
        "phone_clash",
        `two scenarios use ${scenario.payment.phone}; each needs its own number`,
      );
    phones.add(scenario.payment.phone);
  }
  for (const scenario of armed) sim.state.scripts.set(scenario.payment.phone, scenario.script);
  sendJson(ex.res, 200, {
    ok: true,
    armed: armed.map((s) => ({ name: s.name, phone: s.payment.phone })),
  });
};

const listScenarios: ControlHandler = async (sim, ex) => {
  const library = await loadLibrary(sim);
  if (!library.ok) return sendControlError(ex.res, 500, "bad_library", library.error);
  sendJson(ex.res, 200, {
    scenarios: library.scenarios,
    armed: [...sim.state.scripts.keys()],
  });
};

const expireTokens: ControlHandler = (sim, ex) => {
  const expired = sim.state.tokens.size;
  sim.state.tokens.clear();
  sendJson(ex.res, 200, { ok: true, expired });
};

const requests: ControlHandler = (sim, ex) => {
  const path = ex.url.searchParams.get("path");
  sendJson(ex.res, 200, {
    requests: sim.state.requests.filter((r) => path === null || r.path === path),
  });
};

const transactions: ControlHandler = (sim, ex) => {
  const input = parse(schemas.TransactionsSchema, ex);
  if (!input) return;
  const created = createBulkTransactions(sim, input);
  sendJson(ex.res, 200, { ok: true, checkoutRequestIds: created.map((p) => p.checkoutRequestId) });
};

const outcomes: ControlHandler = (_sim, ex) => sendJson(ex.res, 200, { testNumbers: TEST_NUMBERS });

function phoneParam(ex: Exchange): string | null {
  const phone = normalisePhone(decodeURIComponent(ex.params[0]));
  if (!phone)
    sendControlError(
      ex.res,
      400,
      "bad_phone",
      "expected a Kenyan mobile number such as 2547XXXXXXXX",
    );
  return phone;
}

const handset: ControlHandler = (sim, ex) => {
  const phone = phoneParam(ex);
  if (phone) sendJson(ex.res, 200, handsetView(sim, phone));
};

const handsetAction: ControlHandler = (sim, ex) => {
  const phone = phoneParam(ex);
  if (!phone) return;
  const action = ex.params[1] as HandsetAction;
  let pin: string | undefined;
  if (action === "pay") {
    const input = parse(schemas.HandsetPaySchema, ex);
    if (!input) return;
    pin = input.pin;
  }
  const prompt = actOnHandset(sim, phone, action, pin);
  if (!prompt)
    return sendControlError(ex.res, 409, "no_prompt", `no prompt is waiting on handset ${phone}`);
  sendJson(ex.res, 200, { ok: true, prompt: promptView(prompt) });
};

const c2bConfirm: ControlHandler = async (sim, ex) => {
  const input = parse(schemas.C2bConfirmSchema, ex);
  if (!input) return;
  const sent = await sendC2bConfirmation(sim, input);
  if (!sent)
    return sendControlError(
      ex.res,
      409,
      "not_registered",
      "register C2B URLs for this shortcode first",
    );
  sendJson(ex.res, 200, { ok: true, ...sent });
};

const resend: ControlHandler = async (sim, ex) => {
  const prompt = sim.state.prompts.get(decodeURIComponent(ex.params[0]));
  if (!prompt)
    return sendControlError(ex.res, 404, "unknown_checkout_request", "no such CheckoutRequestID");
  if (prompt.result === null || prompt.callbackUrl === null) {
    return sendControlError(
      ex.res,
      409,
      "nothing_to_send",
      "the prompt has no result or no CallBackURL",
    );
  }
  const body = stkCallbackBody(prompt, prompt.result, callbackStyle(sim, prompt));
  const delivery = await deliver(sim, {
    kind: "stk_callback",
    checkoutRequestId: prompt.checkoutRequestId,
    url: prompt.callbackUrl,
    body,
  });
  prompt.callbacksSent++;
  sendJson(ex.res, 200, { ok: true, delivery });
};

const nextInitiatorResult: ControlHandler = (sim, ex) => {
  const input = parse(schemas.NextInitiatorResultSchema, ex);
  if (!input) return;
  const queued = queueInitiatorOutcome(sim, input.api, input.outcome, input.times);
  sendJson(ex.res, 200, { ok: true, queued });
};

const initiator: ControlHandler = (sim, ex) => sendJson(ex.res, 200, initiatorView(sim));

export const CONTROL_ROUTES: Array<{ method: string; pattern: RegExp; run: ControlHandler }> = [
  { method: "GET", pattern: /^\/__sim\/state$/, run: state },
  { method: "POST", pattern: /^\/__sim\/reset$/, run: reset },
  { method: "POST", pattern: /^\/__sim\/config$/, run: config },
  { method: "POST", pattern: /^\/__sim\/next-outcome$/, run: nextOutcome },
  { method: "POST", pattern: /^\/__sim\/next-callback$/, run: nextCallback },
  { method: "POST", pattern: /^\/__sim\/next-query$/, run: nextQuery },
  { method: "POST", pattern: /^\/__sim\/next-push$/, run: nextPush },
  { method: "POST", pattern: /^\/__sim\/scenarios$/, run: armScenarios },
  { method: "GET", pattern: /^\/__sim\/scenarios$/, run: listScenarios },
  { method: "POST", pattern: /^\/__sim\/expire-tokens$/, run: expireTokens },
  { method: "GET", pattern: /^\/__sim\/selftest$/, run: handleSelfTestState },
  { method: "GET", pattern: /^\/__sim\/requests$/, run: requests },
  { method: "POST", pattern: /^\/__sim\/transactions$/, run: transactions },
  { method: "GET", pattern: /^\/__sim\/outcomes$/, run: outcomes },
  { method: "GET", pattern: /^\/__sim\/handset\/([^/]+)$/, run: handset },
  {
    method: "POST",
    pattern: /^\/__sim\/handset\/([^/]+)\/(pay|cancel|timeout)$/,
    run: handsetAction,
  },
  { method: "POST", pattern: /^\/__sim\/c2b\/confirm$/, run: c2bConfirm },
  { method: "POST", pattern: /^\/__sim\/callbacks\/([^/]+)\/resend$/, run: resend },
  { method: "POST", pattern: /^\/__sim\/next-initiator-result$/, run: nextInitiatorResult },
  { method: "GET", pattern: /^\/__sim\/initiator$/, run: initiator },
];
