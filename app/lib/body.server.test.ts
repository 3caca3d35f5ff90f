// A capped body stops at its limit, and a statement upload's whole body is capped, not only each part.
import { isAppError } from "./app-error";
import { capBody, isBodyTooLarge } from "./body.server";
import { multipartReader } from "./upload.server";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://console.test/x", { method: "POST", body, headers });

it("reads a body under the limit as usual and refuses one over it", async () => {
  const form = new URLSearchParams({ note: "hello" });
  const small = post(form, { "Content-Type": "application/x-www-form-urlencoded" });
  expect((await capBody(small, 100).formData()).get("note")).toBe("hello");
  const big = post(new URLSearchParams({ note: "x".repeat(500) }), {
    "Content-Type": "application/x-www-form-urlencoded",
  });
  const refused = await capBody(big, 100)
    .formData()
    .catch((e: unknown) => e);
  expect(isBodyTooLarge(refused)).toBe(true);
});

it("refuses an upload whose parts are each under the file limit but together over it", async () => {
  const form = new FormData();
  form.append("statement", new Blob(["a".repeat(900)]), "one.csv");
  form.append("other", new Blob(["b".repeat(900)]), "two.csv");
  const request = new Request("http://console.test/reconciliation", { method: "POST", body: form });
  // 1,000 bytes a file, 300 for the rest of the form: each part fits, the two do not.
  const refused = await multipartReader(1_000, 300)(request).catch((e: unknown) => e);
  expect(isAppError(refused) && refused.status).toBe(413);

  const one = new FormData();
  one.append("statement", new Blob(["a".repeat(900)]), "one.csv");
  const read = await multipartReader(
    1_000,
    300,
  )(new Request("http://console.test/reconciliation", { method: "POST", body: one }));
  expect(((read.get("statement") as File) ?? null)?.size).toBe(900);
});
