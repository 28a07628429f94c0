// Brown corpus, genre of a passage (15 classes): topic classification of long texts. The
// bag-of-words baseline shows whether reading in order adds anything over which words occur.
import { BROWN_PACKAGE, genreData, loadBrown } from '../data/brown';
import { classificationTask, type ClassificationTask } from './kinds/classification';
import { correctItems } from './metrics';
import type { TaskDefinition } from './registry-types';
import { BagOfWordsClassifier, fitBagOfWords } from './text-baselines';

export function genreTask(full: boolean): ClassificationTask {
  const data = genreData(
    loadBrown(),
    full ? { passageLength: 500, vocabularySize: 20000 } : { passageLength: 300, maxPassagesPerDocument: 4, vocabularySize: 10000 },
  );
  const task = classificationTask('genre', 'Brown corpus, genre', `genre of a ${data.sequenceLength}-token passage (15 classes)`, data, {
    units: full ? 64 : 32,
    layers: 1,
    epochs: full ? 20 : 6,
    batchSize: 32,
    embeddingSize: 32,
    learningRates: [0.003],
    chosenBy: 'sizes and epochs chosen for run time (quick: 4 passages per document)',
  });
  const rowsOf = (t: { dims: readonly number[]; data: Int32Array }) =>
    Array.from({ length: t.dims[0] }, (_, i) => t.data.subarray(i * t.dims[1], (i + 1) * t.dims[1]));
  const bow = fitBagOfWords(
    data.vocabulary.tokens.length,
    data.classes.length,
    { x: rowsOf(data.train.x), y: data.train.y.data },
    { x: rowsOf(data.validation.x), y: data.validation.y.data },
  );
  const predicted = Int32Array.from(rowsOf(data.test.x), (x) => bow.model.predict(BagOfWordsClassifier.counts(x)));
  task.baselines.push({
    name: `bag of words, multinomial logistic regression on counts (L2 ${bow.l2}, ${bow.epochs} epochs, chosen on validation)`,
    metrics: task.score(predicted),
    items: { num: correctItems(predicted, data.test.y.data) },
  });
  return task;
}

export const genre: TaskDefinition = {
  id: 'genre',
  summary: 'Brown corpus, genre of a passage (15 classes), word level',
  dataPackages: [BROWN_PACKAGE],
  load: genreTask,
  // Minutes, not seconds, on a small machine: run by --task genre,tagging,charlm or --task all.
  byDefault: false,
};
