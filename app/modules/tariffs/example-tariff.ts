// AN EXAMPLE tariff schedule for the demo and for a first look at the tariffs page — NOT Safaricom's
// published tariff and not any merchant's contract. Each merchant enters the tariff of its own
// contract (README "Tariffs and net revenue"); real charges appear in the M-Pesa portal and in the
// account balance's "Charges Paid" account (docs/daraja.md#m-pesa-charges-tariffs).
import type { BandsByType } from "./bands";

export const EXAMPLE_TARIFF_LABEL =
  "EXAMPLE schedule (demo only; replace with your contract's tariff)";

export const EXAMPLE_TARIFF: BandsByType = {
  paybill: [
    { minKes: 1, maxKes: 100, chargeKes: 0 },
    { minKes: 101, maxKes: 500, chargeKes: 5 },
    { minKes: 501, maxKes: 1_000, chargeKes: 10 },
    { minKes: 1_001, maxKes: 1_500, chargeKes: 15 },
    { minKes: 1_501, maxKes: 2_500, chargeKes: 20 },
    { minKes: 2_501, maxKes: 3_500, chargeKes: 25 },
    { minKes: 3_501, maxKes: 5_000, chargeKes: 34 },
    { minKes: 5_001, maxKes: 7_500, chargeKes: 42 },
    { minKes: 7_501, maxKes: 10_000, chargeKes: 48 },
    { minKes: 10_001, maxKes: 15_000, chargeKes: 57 },
    { minKes: 15_001, maxKes: 20_000, chargeKes: 62 },
    { minKes: 20_001, maxKes: 35_000, chargeKes: 67 },
    { minKes: 35_001, maxKes: 50_000, chargeKes: 72 },
    { minKes: 50_001, maxKes: 250_000, chargeKes: 77 },
  ],
  buy_goods: [
    { minKes: 1, maxKes: 200, chargeKes: 0 },
    { minKes: 201, maxKes: 1_000, chargeKes: 5 },
    { minKes: 1_001, maxKes: 5_000, chargeKes: 25 },
    { minKes: 5_001, maxKes: 20_000, chargeKes: 100 },
    { minKes: 20_001, maxKes: 250_000, chargeKes: 200 },
  ],
};
