// A model's measured speed, as the registry states it (optional field "speed": { "msPerWindow384": number,
// "measuredOn": string }, filled from `npm run bench`), and how the options page says it. The figures are data
// measured by the benchmark, never estimated here. No DOM: Node tests check it.

import type { ModelSpeed } from '../shared/registry.js';

export type { ModelSpeed };

/** The entry's speed when it states a well-formed one; anything else counts as not measured. */
export function modelSpeed(entry: object): ModelSpeed | undefined {
  const speed = (entry as { speed?: unknown }).speed;
  if (typeof speed !== 'object' || speed === null) return undefined;
  const { msPerWindow384, measuredOn } = speed as Record<string, unknown>;
  if (typeof msPerWindow384 !== 'number' || !Number.isFinite(msPerWindow384) || msPerWindow384 <= 0) return undefined;
  if (typeof measuredOn !== 'string' || measuredOn.trim() === '') return undefined;
  return { msPerWindow384, measuredOn: measuredOn.trim() };
}

/** "≈ 120 ms per 384-token window, measured on Chromium, 2 threads" */
export function speedText(speed: ModelSpeed): string {
  const ms = speed.msPerWindow384 >= 10 ? Math.round(speed.msPerWindow384) : Number(speed.msPerWindow384.toPrecision(2));
  return `≈ ${ms} ms per 384-token window, measured on ${speed.measuredOn}`;
}

/**
 * How a model compares with another (the one now chosen): "3.1× faster than MobileBERT SQuAD 2.0". Undefined
 * when the two were measured in different places: their ratio would say more about the machines than the models.
 */
export function speedFactorText(speed: ModelSpeed, reference: ModelSpeed, referenceName: string): string | undefined {
  if (speed.measuredOn !== reference.measuredOn) return undefined;
  const ratio = reference.msPerWindow384 / speed.msPerWindow384;
  if (Math.abs(ratio - 1) < 0.05) return `about as fast as ${referenceName}`;
  const factor = ratio > 1 ? ratio : 1 / ratio;
  return `${factor.toFixed(1)}× ${ratio > 1 ? 'faster' : 'slower'} than ${referenceName}`;
}
