// Axis and tooltip formats shared by the dashboard charts, and one colour per outcome so a colour
// means the same thing on every chart.
import { formatKes } from "../../lib/money";

const compact = new Intl.NumberFormat("en-KE", { notation: "compact", maximumFractionDigits: 1 });

/** `KES 1.2M` for axes, where full figures do not fit. */
export const kesAxis = (value: number) => `KES ${compact.format(value)}`;
export const countAxis = (value: number) => compact.format(value);
export const kesTooltip = (value: unknown) => formatKes(Number(value));
export const countTooltip = (value: unknown) => Number(value).toLocaleString("en-KE");

export const COLORS = {
  revenue: "#0a7d3b",
  net: "#054f25",
  previous: "#b9c0cb",
  paid: "#12b76a",
  refunded: "#a6ef67",
  cancelled: "#98a2b3",
  expired: "#f79009",
  failed: "#d92d20",
  unknown: "#7a5af8",
  pending: "#d0d5dd",
  payments: "#2e90fa",
} as const;

export const hourLabel = (hour: number) => `${String(hour).padStart(2, "0")}:00`;
