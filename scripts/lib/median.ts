/**
 * The median of a measurement's runs, for the measuring commands that repeat a run and report the
 * middle one (scripts/measure/fork-cost.ts, gateway-cost.ts): a busy spell of a shared machine
 * moves a few runs far, the median hardly.
 */

/** The middle value of `values` once sorted; of an even count, the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
