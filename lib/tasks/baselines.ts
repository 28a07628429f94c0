// Naive baselines, so a reader sees what the recurrent model adds over a rule of thumb.
import type { G2PEntry } from '../data/cmudict';
import type { ForecastSplit } from '../data/timeseries';
import { dayOfYear } from '../data/weather';

/** The most frequent class among the training labels (ties: the smaller id). */
export function majorityClass(labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  let best = -1;
  let bestCount = -1;
  for (const [c, n] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}

/** Persistence: tomorrow's value is today's. */
export function persistenceForecast(split: ForecastSplit): Float64Array {
  return Float64Array.from(split.current);
}

/**
 * Climatology: the mean target of the training days whose day of year is within `halfWidth`
 * days of the forecast day (circularly). Three years give only ~3 values per calendar day, so the
 * window smooths the average; a day with no training neighbours falls back to the training mean.
 */
export function climatologyForecast(train: ForecastSplit, target: ForecastSplit, halfWidth = 7): Float64Array {
  const sum = new Float64Array(367);
  const count = new Float64Array(367);
  let all = 0;
  train.targetDates.forEach((d, i) => {
    const doy = dayOfYear(d);
    sum[doy] += train.yRaw[i];
    count[doy] += 1;
    all += train.yRaw[i];
  });
  const fallback = all / Math.max(1, train.yRaw.length);
  return Float64Array.from(target.targetDates, (d) => {
    const doy = dayOfYear(d);
    let s = 0;
    let n = 0;
    for (let k = -halfWidth; k <= halfWidth; k++) {
      const j = ((doy - 1 + k + 366) % 366) + 1;
      s += sum[j];
      n += count[j];
    }
    return n > 0 ? s / n : fallback;
  });
}

/**
 * A letter-by-letter G2P baseline. Training words are aligned by position (letter i of L goes
 * with phoneme floor(i * P / L)); each letter then predicts its most frequent phoneme, and runs
 * of the same phoneme are merged (so "ll" gives one L).
 */
export class LetterPhonemeBaseline {
  private readonly table = new Map<string, string>();

  constructor(train: readonly G2PEntry[]) {
    const counts = new Map<string, Map<string, number>>();
    for (const e of train) {
      const L = e.letters.length;
      const P = e.phonemes.length;
      e.letters.forEach((letter, i) => {
        const ph = e.phonemes[Math.floor((i * P) / L)];
        const m = counts.get(letter) ?? new Map<string, number>();
        m.set(ph, (m.get(ph) ?? 0) + 1);
        counts.set(letter, m);
      });
    }
    for (const [letter, m] of counts) {
      const best = [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
      this.table.set(letter, best);
    }
  }

  predict(letters: readonly string[]): string[] {
    const out: string[] = [];
    for (const letter of letters) {
      const ph = this.table.get(letter);
      if (ph !== undefined && out[out.length - 1] !== ph) out.push(ph);
    }
    return out;
  }
}
