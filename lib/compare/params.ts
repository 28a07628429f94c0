// `--match params`: units that give a GRU and an LSTM model about the same parameter count, so a
// comparison is not won by sheer capacity. Counts come from the task (its whole model: for
// seq2seq the encoder, decoder, attention and head).
import { type Cell, recurrentParamCount, type StackShape } from '../tasks/cells';

export type { Cell, StackShape } from '../tasks/cells';
export { recurrentParamCount } from '../tasks/cells';

export interface MatchedUnits {
  gru: number;
  lstm: number;
  params: { gru: number; lstm: number };
}

/**
 * Keeps `anchor` at `units` and picks the other cell's units (1..4x units) whose model is closest
 * in parameters by `count`; ties go to the smaller size.
 */
export function matchUnitsBy(units: number, count: (cell: Cell, units: number) => number, anchor: Cell = 'lstm'): MatchedUnits {
  if (!Number.isSafeInteger(units) || units < 1)
    throw new RangeError(`matchUnits: expected units to be a positive integer, but received ${units}`);
  const other: Cell = anchor === 'gru' ? 'lstm' : 'gru';
  const targetParams = count(anchor, units);
  let best = 1;
  let bestGap = Infinity;
  for (let u = 1; u <= 4 * units; u++) {
    const gap = Math.abs(count(other, u) - targetParams);
    if (gap < bestGap) {
      best = u;
      bestGap = gap;
    }
  }
  const sizes = { [anchor]: units, [other]: best } as { gru: number; lstm: number };
  return { ...sizes, params: { gru: count('gru', sizes.gru), lstm: count('lstm', sizes.lstm) } };
}

/** matchUnitsBy over a plain recurrent stack with a dense head. */
export function matchUnits(units: number, shape: StackShape, anchor: Cell = 'lstm'): MatchedUnits {
  return matchUnitsBy(units, (cell, u) => recurrentParamCount(cell, u, shape), anchor);
}
