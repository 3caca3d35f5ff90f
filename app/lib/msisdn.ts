// Kenyan phone numbers (MSISDNs) as a masked viewer may see them, wherever they sit: under a phone
// key, inside free text (a BillRefNumber, a ResultDesc), inside a CheckoutRequestID (which ends in
// the payer's nine local digits) or as a bare JSON number. Masked forms keep the first four and
// the last two digits, `0711 ••• •33`, leaving 10,000 candidates (Safaricom's own receipts mask
// more than the old `0711 ••• 333`, which a search box could walk through). Pure; no module imports.

const BULLET = "•";

/** `0711 ••• •33` for anything that reads as a Kenyan mobile number; `•••` for anything else. */
export function maskMsisdn(value: string | number | null | undefined): string {
  if (value == null || value === "") return "—";
  const digits = String(value).replace(/[\s\-()]/g, "");
  const m = /^(?:\+?254|0)?([17]\d{8})$/.exec(digits);
  if (!m) return `${BULLET}${BULLET}${BULLET}`;
  const local = `0${m[1]}`;
  return `${local.slice(0, 4)} ${BULLET.repeat(3)} ${BULLET}${local.slice(8)}`;
}

// 0712345678, 254712345678, +254 712 345 678, 0712-345-678; not part of a longer number.
const IN_TEXT = /(?<!\d)(?:\+?254|0)[\s-]?([17]\d{2})[\s-]?(\d{3})[\s-]?(\d)(\d{2})(?!\d)/g;
// A number run into other digits (a reference someone built from the number, a number typed with a
// digit too many) or grouped in a way IN_TEXT does not know (`07123456-78`, `0712.345.678`,
// `(0712) 345 678`, `+254 (0) 712 345 678`, `0712*345*678`): digit groups joined by up to four
// separator characters (whitespace, dashes and the minus sign, dots, slashes, brackets, underscores,
// commas, `* # ; | ~ + '`, Arabic separators; not colons, which times are full of) are read as one
// run. In a run of 10 digits or more every place a `254[17]…` or `07…`/`01[01]…` number could start
// is masked (hideNumbersIn), and so is a local number without its prefix (hideLocalNumbers), in one
// pass over all the run's digits (a pass per form would let one's bullets cut a number the next
// should see).
const SEPARATOR = "[\\s./()_,*#;|~+'\\u2010-\\u2015\\u2212\\u066b\\u066c\\u060c-]";
const RUN = new RegExp(`\\d+(?:${SEPARATOR}{1,4}\\d+)*`, "g");
// ws_CO_ + DDMMYYYY HHmmss + 3-digit millis (17 digits) + the payer's 9 local digits (Daraja).
const CHECKOUT = /(ws_CO_\d{17})([17]\d{2})\d{4}(\d{2})(?!\d)/gi;

// Our ids are UUIDs, and their hex groups can read as a number (`f0112342-771c-…` holds
// `0112342-771`): a masked viewer would get a broken link. Daraja's current MerchantRequestIDs end in
// twelve hex characters and seven digits (docs/daraja.md#stk-push-response), which can too. Both are
// left whole (as whole tokens: not inside a longer run of letters and digits); neither carries the
// payer's number. So are dates (`01-03-2025`, `2025-03-01`, `07/12/2024`), which the run pass would
// otherwise read together with a time after them, and a CheckoutRequestID once its payer digits are
// masked (its timestamp can read as a number too).
const ID_SOURCE =
  "(?<![0-9a-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\d{7})(?![0-9a-z])";
// A date only when it stands alone: a real day, month and year (19xx or 20xx), no digits just before
// it, and nothing after it but a word, the end or a time (`01-03-2025 00:01:29`); a number grouped
// like a date with digits around it is a run.
const DAY = "(?:0?[1-9]|[12]\\d|3[01])";
const MONTH = "(?:0?[1-9]|1[0-2])";
const YEAR = "(?:19|20)\\d{2}";
const DATE_SOURCE = `(?<!\\d[\\s\\-/.,()_]{0,3})(?:${DAY}([-/.])${MONTH}\\1${YEAR}|${YEAR}([-/.])${MONTH}\\2${DAY})(?=\\s*$|\\s*[^\\d\\s\\-/.,()_]|\\s+\\d{1,2}:\\d)`;
const KEPT = new RegExp(`${ID_SOURCE}|${DATE_SOURCE}|${CHECKOUT.source}`, "gi");

export function maskPhonesInText(text: string): string {
  if (!NOT_ASCII.test(text)) return maskAsciiText(text);
  // A number a person reads as one is masked however it was typed: in full-width or another script's
  // digits (`０７１２－３４５－６７８`, Arabic-Indic), or with invisible characters between its digits
  // (zero-width space, right-to-left mark, soft hyphen). The text is read folded to ASCII digits and
  // separators; text with no phone number in it stays as given.
  const folded = text
    .normalize("NFKC")
    .replace(OTHER_DIGITS, asciiDigit)
    .replace(INVISIBLE_BETWEEN_DIGITS, "");
  const masked = maskAsciiText(folded);
  return masked === folded ? text : masked;
}

const NOT_ASCII = /[^ -~\t\n\r]/;
// Unicode encodes every script's decimal digits as runs of ten code points, 0 to 9: a digit's value is
// its distance from the start of its run, modulo ten (some runs of ten follow each other).
const OTHER_DIGITS = /(?![0-9])\p{Nd}/gu;
const DIGIT = /\p{Nd}/u;
function asciiDigit(d: string): string {
  const code = d.codePointAt(0) as number;
  let first = code;
  while (DIGIT.test(String.fromCodePoint(first - 1))) first -= 1;
  return String((code - first) % 10);
}
const INVISIBLE_BETWEEN_DIGITS = new RegExp(
  `(?<=\\d${SEPARATOR}{0,3})\\p{Cf}+(?=${SEPARATOR}{0,3}\\d)`,
  "gu",
);

function maskAsciiText(text: string): string {
  let out = "";
  let from = 0;
  for (const m of text.matchAll(KEPT)) {
    out += maskFreeText(text.slice(from, m.index)) + maskCheckout(m[0]);
    from = m.index + m[0].length;
  }
  return out + maskFreeText(text.slice(from));
}

const maskCheckout = (token: string) => token.replace(CHECKOUT, `$1$2${BULLET.repeat(4)}$3`);

function maskFreeText(text: string): string {
  return text
    .replace(
      IN_TEXT,
      (_m, a: string, _b, _c, d: string) => `0${a} ${BULLET.repeat(3)} ${BULLET}${d}`,
    )
    .replace(RUN, maskRun);
}

/** The digits of a run that could belong to a number, masked; its separators stay where they were. */
function maskRun(run: string): string {
  const groups = run.match(/\d+/g) as string[];
  const digits = groups.join("");
  if (digits.length < 9) return run;
  const hidden: boolean[] = [];
  const hide = (from: number) => {
    for (let k = from; k < from + 4; k++) hidden[k] = true;
  };
  if (digits.length >= 10) hideNumbersIn(digits, hide);
  hideLocalNumbers(groups, digits, hide);
  if (!hidden.length) return run;
  let k = 0;
  return run.replace(/\d/g, (d) => (hidden[k++] ? BULLET : d));
}

/**
 * Every 12 digits of the run that read as `254[17]…` keep `254` + three digits and the last two; every
 * 10 that read as `07…` or `01[01]…` keep four and the last two (as maskMsisdn shows a number).
 * Overlapping candidates are all masked: taking matches left to right, a first candidate that starts
 * inside other digits (`…25472100` + `254712345678`) would swallow the start of the real number and
 * leave the rest of it in clear.
 */
function hideNumbersIn(run: string, hide: (from: number) => void) {
  for (let i = run.indexOf("254"); i !== -1 && i + 12 <= run.length; i = run.indexOf("254", i + 1))
    if (run[i + 3] === "1" || run[i + 3] === "7") hide(i + 6);
  for (let i = run.indexOf("0"); i !== -1 && i + 10 <= run.length; i = run.indexOf("0", i + 1))
    if (run[i + 1] === "7" || (run[i + 1] === "1" && (run[i + 2] === "0" || run[i + 2] === "1")))
      hide(i + 4);
}

// A number written without its 0 or 254 (`712345678`, as the console's own phone fields accept it):
// nine digits that read as a local number, starting and ending where the run's digit groups do
// (`712 345 678`, or after a date: `01-03-2025 712345678`). The first three and the last two stay, as
// in `0712 ••• •78`. Nine digits inside a longer group cannot be told from any other digits.
const LOCAL = /^(?:7\d|1[01])\d{7}$/;
function hideLocalNumbers(groups: string[], digits: string, hide: (from: number) => void) {
  for (let g = 0, start = 0; g < groups.length; start += (groups[g] as string).length, g++) {
    let length = 0;
    for (let h = g; h < groups.length && length < 9; h++) {
      length += (groups[h] as string).length;
      if (length === 9 && LOCAL.test(digits.slice(start, start + 9))) hide(start + 3);
    }
  }
}

/** True when a string still carries a full Kenyan mobile number (tests and assertions use it). */
export function containsFullMsisdn(text: string): boolean {
  return maskPhonesInText(text) !== text;
}

const PHONE_KEY = /phone|msisdn|partya|^from$/i;
const PHONE_NUMBER = /^(?:254)?[17]\d{8}$/;

/**
 * A deep copy of a JSON-like value with every phone number masked: strings anywhere (by pattern),
 * any value under a phone-like key, numbers shaped like an MSISDN, and Daraja's metadata items
 * (`{ "Name": "PhoneNumber", "Value": 254712345678 }`), whose key is in the sibling Name.
 */
export function redactDeep<T>(value: T, key = ""): T {
  return walk(value, key) as T;
}

function walk(value: unknown, key: string): unknown {
  if (typeof value === "string") {
    // Nine digits at least: a calendar day (`2026-12-01`, eight) under a `from` key is no number.
    const t = value.trim();
    if (PHONE_KEY.test(key) && /^\+?[\d\s-]{9,16}$/.test(t) && t.replace(/\D/g, "").length >= 9)
      return maskMsisdn(value);
    return maskPhonesInText(value);
  }
  if (typeof value === "number" || typeof value === "bigint") {
    const text = String(value);
    return PHONE_NUMBER.test(text) && (PHONE_KEY.test(key) || text.startsWith("254"))
      ? maskMsisdn(text)
      : value;
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, key));
  if (value instanceof Date || value instanceof Uint8Array) return value;
  if (value && typeof value === "object") {
    const name = (value as { Name?: unknown }).Name;
    const named = typeof name === "string" && PHONE_KEY.test(name);
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        named && k === "Value" && v != null ? maskMsisdn(String(v)) : walk(v, k),
      ]),
    );
  }
  return value;
}

/**
 * A masked number as the console shows it, pasted back into search: `0708 ••• •01`, `0708•••001`,
 * `+254 708 *** *01`, or a masked CheckoutRequestID (`ws_CO_…708••••01`). Gives the known leading
 * digits (as `2547…`) and the last two, or null when the text is not such a form.
 */
export function parseMaskedMsisdn(text: string): { prefix: string; suffix: string } | null {
  const compact = text.replace(/[\s-]/g, "");
  const checkout = /^ws_CO_(?:\d{17}|…|\.{3})?([17]\d{2})[•*xX]{3,7}(\d{2,3})$/.exec(compact);
  const phone = /^(?:\+?254|0)([17]\d{2})[•*xX]{3,7}(\d{2,3})$/.exec(compact);
  const m = checkout ?? phone;
  // Only the two last digits the console shows: a third one typed in (the older `0708 ••• 012`
  // form) is not used, or ten searches would tell a masked viewer one more digit of the number.
  return m ? { prefix: `254${m[1]}`, suffix: m[2].slice(-2) } : null;
}
