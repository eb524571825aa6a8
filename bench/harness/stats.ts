// Small statistics for bench samples: medians, percentiles of latency samples, and the
// relative spread of repetitions that --compare uses as the noise floor.

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The value at `rank` (0..1) of `sorted` (ascending), nearest-rank. */
export function percentile(sorted: ArrayLike<number>, rank: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(rank * sorted.length) - 1))] as number;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Sample standard deviation over the mean (0 for fewer than two values). */
export function relativeSpread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const average = mean(values);
  const variance = values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1);
  return average === 0 ? 0 : Math.sqrt(variance) / Math.abs(average);
}

/**
 * Robust relative spread: 1.4826 × the median absolute deviation, over the median (equals the
 * relative standard deviation for normal noise, but one disturbed repetition does not inflate
 * it). 0 for fewer than two values.
 */
export function robustSpread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const center = median(values);
  return center === 0 ? 0 : (1.4826 * median(values.map((value) => Math.abs(value - center)))) / Math.abs(center);
}
