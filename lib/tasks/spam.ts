// SpamAssassin mails, ham vs spam, word level.
import { loadSpam, SPAM_PACKAGE } from '../data/spam';
import { classificationTask, type ClassificationTask } from './kinds/classification';
import type { TaskDefinition } from './registry-types';
import { QUICK_DEFAULTS } from './types';

export const spam: TaskDefinition = {
  id: 'spam',
  summary: 'SpamAssassin, ham vs spam',
  dataPackages: [SPAM_PACKAGE],
  claim: { use: 'text classification', favours: 'gru', margin: 0.01, quickEpochs: 2 },
  load: (full): ClassificationTask =>
    classificationTask(
      'spam',
      'SpamAssassin',
      'ham vs spam',
      loadSpam(full ? { vocabularySize: 20000, sequenceLength: 300 } : { vocabularySize: 10000, sequenceLength: 100 }),
      {
        units: 32,
        layers: 1,
        epochs: full ? 10 : 4,
        batchSize: 32,
        embeddingSize: 32,
        learningRates: [0.001, 0.003, 0.01],
        chosenBy: QUICK_DEFAULTS,
      },
    ),
};
