// Seeded randomness. Every random choice vaurien makes (which behavior, which 50x, which bytes)
// comes from an Rng derived from --seed, so a run can be replayed exactly.
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

/** A seeded source of randomness. */
export interface Rng {
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** `length` random bytes. */
  bytes(length: number): Buffer;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/** A fresh random seed, for runs started without --seed (it is printed so they can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** Mixes a seed with a stream number (a connection's index) into an independent seed. */
export function deriveSeed(seed: number, stream: number): number {
  // murmur3's finalizer over the pair: neighbouring streams get unrelated seeds.
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function createRng(seed: number): Rng {
  const generator = xoroshiro128plus(seed);
  const float = (): number => (generator.next() >>> 0) / 0x100000000;
  return {
    float,
    int: (min, max) => uniformInt(generator, min, max),
    bytes(length) {
      const out = Buffer.allocUnsafe(length);
      let at = 0;
      for (; at + 4 <= length; at += 4) out.writeInt32LE(generator.next() | 0, at);
      for (let word = generator.next(); at < length; at++, word >>>= 8) out[at] = word & 0xff;
      return out;
    },
    pick(items) {
      const item = items[Math.floor(float() * items.length)];
      if (item === undefined) throw new RangeError('pick() needs a non-empty list');
      return item;
    },
  };
}

/**
 * A lazily made generator of its own for one stream of random use (one side of one exchange):
 * what it gives depends on the seed and the stream's name only, never on when other streams
 * drew (the backend's timing), so a seeded run replays.
 */
export function streamRng(seed: number, ...path: readonly number[]): Rng {
  let made: Rng | undefined;
  const rng = (): Rng => (made ??= createRng(path.reduce((mixed, part) => deriveSeed(mixed, part), seed)));
  return {
    float: () => rng().float(),
    int: (min, max) => rng().int(min, max),
    bytes: (length) => rng().bytes(length),
    pick: (items) => rng().pick(items),
  };
}

/** A number for a name (a stream behavior's key), to derive its randomness from. */
export function nameNumber(name: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < name.length; at++) hash = Math.imul(hash ^ name.charCodeAt(at), 0x01000193);
  return hash >>> 0;
}
