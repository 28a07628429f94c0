// The arena of one compiled plan segment (lib/onnx/compile.ts): every value the segment computes
// has a place in one buffer of 4-byte words, and a place is reused once no live name is in it, so
// a call holds about what the interpreter holds at its peak.
import { type Value, type ValueType, sizeOf } from './values';

/**
 * A value held in the arena: 4-byte words from `slot` on (bool and int64 are held as int32; `as`
 * is the type the graph gives it), inside `region`, which views of it share.
 */
export interface Slot {
  kind: 'slot';
  slot: number;
  dims: number[];
  type: 'float32' | 'int32' | 'bool';
  as: ValueType;
  region: number;
}
/** A value known when the program is compiled. */
export interface Known {
  kind: 'known';
  value: Value;
}
export type Sym = Slot | Known;

/** Thrown inside compile for a node or value the plan does not cover at these shapes. */
export class Uncovered extends Error {}

/** The arena's type for a graph type. */
export function arenaType(t: ValueType): Slot['type'] {
  return t === 'float32' ? 'float32' : t === 'bool' ? 'bool' : 'int32';
}

export class Arena {
  words = 0;
  private readonly regions: { base: number; words: number; refs: number }[] = [];
  private readonly free: { base: number; words: number }[] = [];

  /**
   * A place for a value. `fresh`: one no earlier value used, for a value copied in before the
   * program starts (an input read first by a later step must not land where an earlier step's
   * values live).
   */
  alloc(dims: readonly number[], type: Slot['type'], as: ValueType = type, fresh = false): Slot {
    const n = sizeOf(dims);
    // Each value starts on a 64-byte line.
    const need = Math.ceil(n / 16) * 16;
    if (!(n < 2 ** 31 && this.words + need < 2 ** 31)) throw new Uncovered();
    let base: number;
    const k = fresh ? -1 : this.free.findIndex((b) => b.words >= need);
    if (k >= 0) {
      const b = this.free[k];
      base = b.base;
      b.base += need;
      b.words -= need;
      if (b.words === 0) this.free.splice(k, 1);
    } else {
      base = this.words;
      this.words += need;
    }
    this.regions.push({ base, words: need, refs: 0 });
    return { kind: 'slot', slot: base, dims: [...dims], type, as, region: this.regions.length - 1 };
  }

  /** One more live name for the slot's region. */
  hold(s: Slot): void {
    this.regions[s.region].refs++;
  }

  /** One live name fewer: the region is free once none is left. */
  drop(s: Slot): void {
    const r = this.regions[s.region];
    if (--r.refs > 0 || r.words === 0) return;
    r.refs = -Infinity; // never released twice
    this.free.push({ base: r.base, words: r.words });
    this.free.sort((a, b) => a.base - b.base);
    for (let i = this.free.length - 1; i > 0; i--) {
      const a = this.free[i - 1];
      const b = this.free[i];
      if (a.base + a.words === b.base) {
        a.words += b.words;
        this.free.splice(i, 1);
      }
    }
  }
}
