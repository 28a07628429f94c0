// First names → gender, character level. The quick defaults keep the whole run short on a
// 2-core machine; each cell picks its learning rate from the grid by validation loss.
import { FEMALE_NAMES_PACKAGE, loadNames, MALE_NAMES_PACKAGE } from '../data/names';
import { classificationTask, type ClassificationTask } from './kinds/classification';
import type { TaskDefinition } from './registry-types';
import { QUICK_DEFAULTS } from './types';

export const names: TaskDefinition = {
  id: 'names',
  summary: 'first names (en), gender from spelling, character level',
  dataPackages: [FEMALE_NAMES_PACKAGE, MALE_NAMES_PACKAGE],
  load: (full): ClassificationTask =>
    classificationTask('names', 'first names (en)', 'gender from spelling', loadNames(), {
      units: 32,
      layers: 1,
      epochs: full ? 20 : 8,
      batchSize: 64,
      embeddingSize: 16,
      learningRates: [0.001, 0.003, 0.01],
      chosenBy: QUICK_DEFAULTS,
    }),
};
