// Reading a multipart form with a file field under a size limit (Remix's memory upload handler: the
// file never touches the disk, and a body over the limit stops being read at the limit).
import {
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";
import { AppError } from "./app-error";
import { capBody, isBodyTooLarge } from "./body.server";

/** Room for the form's other fields (intent, CSRF token) beside the file. */
const FIELDS_BYTES = 64 * 1024;

export function multipartReader(
  maxBytes: number,
  fieldsBytes = FIELDS_BYTES,
): (request: Request) => Promise<FormData> {
  const handler = unstable_createMemoryUploadHandler({ maxPartSize: maxBytes });
  return async (request) => {
    try {
      // The whole body is capped too: the part limit alone let many parts each just under it through.
      return await unstable_parseMultipartFormData(
        capBody(request, maxBytes + fieldsBytes),
        handler,
      );
    } catch (error) {
      if (error instanceof MaxPartSizeExceededError || isBodyTooLarge(error)) {
        throw new AppError(
          "too_large",
          `The file is larger than ${Math.round(maxBytes / 1_048_576)} MB; split the statement by period and upload each part.`,
          {
            status: 413,
            field: error instanceof MaxPartSizeExceededError ? error.field : "statement",
          },
        );
      }
      throw error;
    }
  };
}
