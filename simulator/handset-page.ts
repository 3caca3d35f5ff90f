// GET /handset: a self-contained page that plays the customer's phone. It polls
// /__sim/handset/:phone every second and renders with textContent only, so no value from a
// request can become markup; the few values rendered on the server go through escapeHtml.
import type { Sim } from "./context";
import { normalisePhone } from "./handset";
import { TEST_NUMBERS } from "./outcomes";

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font-family:system-ui,sans-serif;background:#eef2f0;margin:0;padding:24px;color:#1b2b23}
main{max-width:360px;margin:0 auto}
h1{font-size:18px}
.phone{background:#14261c;border-radius:28px;padding:18px;box-shadow:0 8px 24px #0003}
.screen{background:#f7fbf8;border-radius:14px;min-height:220px;padding:16px}
.muted{color:#5a6d62;font-size:14px}
label,input,button{font-size:15px}
input{padding:8px;border:1px solid #9bb0a4;border-radius:8px;width:100%;box-sizing:border-box}
button{padding:8px 12px;border:0;border-radius:8px;margin:8px 6px 0 0;cursor:pointer}
.pay{background:#2e8b3e;color:#fff}.cancel{background:#c0392b;color:#fff}.wait{background:#d5ddd8}
form{margin-bottom:16px}
`;

const SCRIPT = `
const input = document.getElementById("phone");
const screenEl = document.getElementById("screen");
let shownPrompt = null;
function el(tag, text, cls) { const e = document.createElement(tag); if (text) e.textContent = text; if (cls) e.className = cls; return e; }
async function act(action, body) {
  await fetch("/__sim/handset/" + encodeURIComponent(input.value) + "/" + action, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
  shownPrompt = null; refresh();
}
function render(view) {
  if (view && view.prompt) {
    if (shownPrompt === view.prompt.checkoutRequestId) {
      document.getElementById("left").textContent = view.prompt.secondsLeft + " s left";
      return;
    }
    shownPrompt = view.prompt.checkoutRequestId;
    const pin = el("input"); pin.type = "password"; pin.inputMode = "numeric"; pin.placeholder = "PIN (1234 pays)";
    const pay = el("button", "Send", "pay"); pay.onclick = () => act("pay", { pin: pin.value });
    const cancel = el("button", "Cancel", "cancel"); cancel.onclick = () => act("cancel");
    const wait = el("button", "Let it time out", "wait"); wait.onclick = () => act("timeout");
    screenEl.replaceChildren(el("p", view.prompt.message), pin, pay, cancel, wait, el("p", view.prompt.secondsLeft + " s left", "muted"));
    screenEl.lastChild.id = "left";
    return;
  }
  shownPrompt = null;
  const nodes = [el("p", view ? "No prompt on this phone." : "Pick a phone number.", "muted")];
  if (view && view.last) {
    const l = view.last;
    const text = l.status === "pending" ? "Last prompt: still pending" :
      "Last prompt: " + l.status + " (" + l.resultCode + " " + l.resultDesc + ")" + (l.receipt ? " receipt " + l.receipt : "");
    nodes.push(el("p", text, "muted"));
  }
  screenEl.replaceChildren(...nodes);
}
async function refresh() {
  if (!input.value) return render(null);
  try {
    const res = await fetch("/__sim/handset/" + encodeURIComponent(input.value));
    render(res.ok ? await res.json() : null);
  } catch { render(null); }
}
document.getElementById("pick").onsubmit = (e) => {
  e.preventDefault();
  history.replaceState(null, "", "?phone=" + encodeURIComponent(input.value));
  shownPrompt = null; refresh();
};
setInterval(refresh, 1000);
refresh();
`;

export function renderHandsetPage(sim: Sim, requestedPhone: string | null): string {
  const phone = requestedPhone === null ? "" : (normalisePhone(requestedPhone) ?? requestedPhone);
  const options = TEST_NUMBERS.map(
    (t) => `<option value="${escapeHtml(t.phone)}">${escapeHtml(t.outcome)}</option>`,
  ).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Virtual handset · ${escapeHtml(sim.creds.merchantName)}</title><style>${STYLE}</style></head>
<body><main>
<h1>Virtual handset</h1>
<form id="pick"><label for="phone">Phone number</label>
<input id="phone" name="phone" list="numbers" value="${escapeHtml(phone)}" placeholder="2547XXXXXXXX" autocomplete="off">
<datalist id="numbers">${options}</datalist>
<button class="wait" type="submit">Open</button></form>
<div class="phone"><div class="screen" id="screen"><p class="muted">Loading…</p></div></div>
<p class="muted">Numbers outside the test table wait here for a person. PIN 1234 pays; any other PIN fails with 2001.</p>
</main><script>${SCRIPT}</script></body></html>`;
}
