// A NUL and a lone surrogate are valid in JSON and in JavaScript strings, but not in PostgreSQL text
// or jsonb. A callback carrying one (by accident or on purpose) must still be recorded and answered,
// not fail on every retry: each becomes U+FFFD, the replacement character.
// eslint-disable-next-line no-control-regex -- matching the NUL is the point
const UNSTORABLE = /\u0000|\p{Cs}/gu;

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, "\uFFFD");
}

/** `JSON.parse`, with every string value made storable. */
export function parseStorableJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === "string" ? storableText(value) : value,
  );
}
