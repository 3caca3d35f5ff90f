// Reading a multipart form with a file field under a size limit (Remix's memory upload handler: the
// file never touches the disk, and a body over the limit stops being read at the limit).
import {
  MaxPartSizeExceededError,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
} from "@remix-run/node";
import { AppError } from "./app-error";

export function multipartReader(maxBytes: number): (request: Request) => Promise<FormData> {
  const handler = unstable_createMemoryUploadHandler({ maxPartSize: maxBytes });
  return async (request) => {
    try {
      return await unstable_parseMultipartFormData(request, handler);
    } catch (error) {
      if (error instanceof MaxPartSizeExceededError) {
        throw new AppError(
          "too_large",
          `The file is larger than ${Math.round(maxBytes / 1_048_576)} MB; split the statement by period and upload each part.`,
          { status: 413, field: error.field },
        );
      }
      throw error;
    }
  };
}
