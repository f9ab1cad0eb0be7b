/** A seeded pseudo-random source, so fleets and tests can be replayed exactly. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: tiny, fast and good enough for simulation (not for secrets). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    },
  };
}

/** The same source as a plain function, for callers that only draw numbers. */
export function seededRandom(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng.next();
}

/** Exponentially distributed wait with the given mean (memoryless arrivals). */
export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

/** Derives an independent stream per sensor from one run seed. */
export function childSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}
