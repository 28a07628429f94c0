// Brown corpus, part-of-speech tagging with the coarse tags: one output per token from a
// bidirectional cell. The quick run trains on every 8th training sentence and validates on every
// 4th validation sentence; every run tests on all test sentences.
import { BROWN_PACKAGE, loadBrown, taggingData } from '../data/brown';
import { taggingTask, type TaggingTask } from './kinds/tagging';
import type { TaskDefinition } from './registry-types';

export const tagging: TaskDefinition = {
  id: 'tagging',
  summary: 'Brown corpus, part-of-speech tag per word (bidirectional)',
  dataPackages: [BROWN_PACKAGE],
  // Minutes, not seconds, on a small machine: run by --task genre,tagging,charlm or --task all.
  byDefault: false,
  load: (full): TaggingTask =>
    taggingTask(
      'tagging',
      'Brown corpus, tagging',
      taggingData(loadBrown(), full ? { sequenceLength: 60 } : { sequenceLength: 40, trainEvery: 8, validationEvery: 4 }),
      {
        units: full ? 64 : 32,
        layers: 1,
        epochs: full ? 10 : 3,
        batchSize: 32,
        embeddingSize: full ? 64 : 32,
        learningRates: [0.005],
        chosenBy: 'sizes and epochs chosen for run time',
      },
    ),
};
