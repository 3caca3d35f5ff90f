// What reaches the statement parser: the upload's chunks, checked on the way in (not an Excel workbook,
// not UTF-16, no NUL byte), and the error a file that cannot be imported raises.
import { AppError } from "~/lib/app-error";

export type StatementInput =
  | string
  | Uint8Array
  | Iterable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | NodeJS.ReadableStream;

/** The file is not a statement, or one of its rows cannot be booked; nothing of it should be imported. */
export class StatementFormatError extends AppError {
  readonly rowNumber: number | null;
  constructor(message: string, rowNumber: number | null = null) {
    super("statement_format", rowNumber === null ? message : `Row ${rowNumber}: ${message}`, {
      status: 422,
      details: { rowNumber },
    });
    this.name = "StatementFormatError";
    this.rowNumber = rowNumber;
  }
}

// A portal .xlsx uploaded as-is would otherwise fail with a baffling "Receipt No." message.
export async function* checkedChunks(input: StatementInput): AsyncGenerator<Uint8Array | string> {
  const source = typeof input === "string" || input instanceof Uint8Array ? [input] : input;
  let first = true;
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    if (first && chunk.length > 0 && chunk instanceof Uint8Array) refuseBinary(chunk);
    if (chunk.length > 0) first = false;
    if (typeof chunk === "string" ? chunk.includes("\0") : chunk.includes(0))
      throw new StatementFormatError(`Expected CSV text but found a NUL byte; ${SAVE_AS_CSV}`);
    yield chunk;
  }
}

const SAVE_AS_CSV = "open it in Excel and save it as 'CSV UTF-8', then upload that file";

function refuseBinary(bytes: Uint8Array) {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new StatementFormatError(
      `Expected a CSV file but this is an Excel workbook (.xlsx); ${SAVE_AS_CSV}`,
    );
  }
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    throw new StatementFormatError(
      `Expected a CSV file but this is an old Excel workbook (.xls); ${SAVE_AS_CSV}`,
    );
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new StatementFormatError(
      `Expected UTF-8 CSV but this file is UTF-16 text; ${SAVE_AS_CSV}`,
    );
  }
}
