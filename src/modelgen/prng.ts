/**
 * Small deterministic PRNG for random model weights. Same seed and tensor name => same values on every platform
 * (integer arithmetic plus Math.log/cos/sin, which V8 computes identically everywhere).
 */

/** mulberry32: a 32-bit state generator, plenty for weight init (we draw < 2^26 values per tensor). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** FNV-1a over the UTF-16 code units of s, mixed with seed: one independent stream per tensor name. */
export function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so close seeds give unrelated streams.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_POW_32 = 4294967296;

/** Fills out with normal(0, std) samples (Box-Muller), deterministic for (seed, name). */
export function fillNormal(out: Float32Array, std: number, seed: number, name: string): Float32Array {
  const next = mulberry32(streamSeed(seed, name));
  for (let i = 0; i < out.length; i += 2) {
    // u1 in (0, 1) so log(u1) is finite.
    const u1 = (next() + 0.5) / TWO_POW_32;
    const u2 = next() / TWO_POW_32;
    const r = std * Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    out[i] = r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
