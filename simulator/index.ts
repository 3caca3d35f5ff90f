// The simulator's public surface, for the app's tests, scripts and README.
export { createSimulator, type Simulator } from "./server";
export { SANDBOX_PASSKEY, type SimulatorLogger, type SimulatorOptions } from "./options";
export {
  OUTCOME_NAMES,
  OUTCOMES,
  RESULTS,
  TEST_NUMBERS,
  TEST_PHONE,
  outcomeForPhone,
  type OutcomeName,
} from "./outcomes";
export { HANDSET_PIN } from "./handset";
export { formatMsisdn } from "./c2b";
export type { SimSnapshot } from "./snapshot";
