// CMUdict, spelling → phonemes: an encoder–decoder with attention. The quick run uses 6,000 words.
import { CMUDICT_PACKAGE, loadCmudict } from '../data/cmudict';
import { g2pTask, type Seq2SeqTask } from './kinds/seq2seq';
import type { TaskDefinition } from './registry-types';
import { QUICK_DEFAULTS } from './types';

export const g2p: TaskDefinition = {
  id: 'g2p',
  summary: 'CMUdict, spelling → phonemes (encoder–decoder with attention)',
  dataPackages: [CMUDICT_PACKAGE],
  claim: { use: 'translation (spelling → phonemes)', favours: 'lstm', margin: 0.01, quickEpochs: 4 },
  load: (full): Seq2SeqTask =>
    g2pTask(loadCmudict(full ? {} : { limit: 6000 }), {
      units: full ? 128 : 64,
      layers: 1,
      epochs: full ? 15 : 8,
      batchSize: 64,
      embeddingSize: full ? 64 : 32,
      learningRates: [0.002, 0.005, 0.01],
      attention: true,
      chosenBy: QUICK_DEFAULTS,
    }),
};
