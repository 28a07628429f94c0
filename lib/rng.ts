// A seeded generator whose whole state is one 32-bit word, so a checkpoint can store it and a
// resumed run draws exactly the numbers the uninterrupted run would have drawn.

export class Rng {
  private s: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u = 1 - this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** In place Fisher-Yates. */
  shuffle(a: Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  get state(): number[] {
    return this.spare === undefined ? [this.s] : [this.s, this.spare];
  }

  set state(v: number[]) {
    this.s = v[0] >>> 0;
    this.spare = v.length > 1 ? v[1] : undefined;
  }
}

/** A seed from the clock and Math.random, for runs that give none. */
export function randomSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 4294967296)) >>> 0;
}
