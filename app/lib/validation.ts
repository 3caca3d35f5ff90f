// Zod failures become one AppError naming the first bad field in words a person can act on.
import type { z } from "zod";
import { AppError } from "./app-error";

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || undefined;
  throw new AppError("invalid_request", issue?.message ?? "The request is not valid.", {
    status: 400,
    field,
  });
}
