/**
 * Splits bytes at the given cut points (any number, any order, duplicates and out-of-range values
 * allowed: they are taken modulo the length), as fast-check generates them. Empty parts are dropped;
 * the parts concatenate back to `input`.
 */
export function fragment(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(input.subarray(at, p));
    at = p;
  }
  parts.push(input.subarray(at));
  return parts.filter((p) => p.length > 0);
}
