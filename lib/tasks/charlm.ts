// Brown corpus, character-level language model (the benchmark of Jozefowicz et al. 2015 at a
// small scale). The quick run reads a seeded sample of documents; --full reads all of them.
import { BROWN_PACKAGE, charLmData, loadBrown } from '../data/brown';
import { languageModelTask, type LanguageModelTask } from './kinds/language-model';
import type { TaskDefinition } from './registry-types';

export const charlm: TaskDefinition = {
  id: 'charlm',
  summary: 'Brown corpus, next character (bits per character, stateful)',
  dataPackages: [BROWN_PACKAGE],
  // Minutes, not seconds, on a small machine: run by --task genre,tagging,charlm or --task all.
  byDefault: false,
  load: (full): LanguageModelTask =>
    languageModelTask(
      'charlm',
      'Brown corpus, characters',
      charLmData(
        loadBrown(),
        full
          ? { chunkLength: 100, streams: 32 }
          : { chunkLength: 50, streams: 32, maxChars: { train: 250000, validation: 40000, test: 80000 } },
      ),
      {
        units: full ? 256 : 64,
        layers: 1,
        epochs: full ? 5 : 3,
        batchSize: 32,
        embeddingSize: 16,
        learningRates: [0.005],
        chosenBy: 'sizes and epochs chosen for run time; the batch is the 32 parallel streams',
      },
    ),
};
