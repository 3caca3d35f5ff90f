// Daraja speaks East Africa Time (UTC+3, no daylight saving) without a zone marker in every
// timestamp it sends or accepts (docs/daraja.md#time, #password-and-timestamp), so all formatting
// here goes through EAT.
const EAT_OFFSET_MS = 3 * 60 * 60 * 1000;

export interface EatParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
}

export interface ClockSetting {
  now: string | null;
  offsetMs: number;
}

export const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

export function readClock(setting: ClockSetting): number {
  const base = setting.now === null ? Date.now() : Date.parse(setting.now);
  return base + setting.offsetMs;
}

export function eatParts(ms: number): EatParts {
  const d = new Date(ms + EAT_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millis: d.getUTCMilliseconds(),
  };
}

/** `YYYYMMDDHHmmss` in EAT, the shape of `Timestamp`, `TransactionDate` and `TransTime`. */
export function eatTimestamp(ms: number): string {
  const p = eatParts(ms);
  return `${p.year}${pad(p.month)}${pad(p.day)}${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
}

/** Epoch ms of an EAT `YYYYMMDDHHmmss`, or null when it is not a real calendar moment. */
export function parseEatTimestamp(value: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  if (hour > 23 || minute > 59 || second > 59) return null;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March; a round trip catches impossible dates.
  const back = new Date(utc);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day
  )
    return null;
  return utc - EAT_OFFSET_MS;
}
