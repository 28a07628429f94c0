// The shape every classification dataset takes: token ids [N, T], labels [N], per split.
import type { Tensor } from '../tensor';
import type { Vocabulary } from './text';

export interface ClassificationSplit {
  /** Token ids, int32 [N, T], <pad> = 0. */
  x: Tensor<'int32'>;
  /** Class ids, int32 [N]. */
  y: Tensor<'int32'>;
}

export interface ClassificationData {
  kind: 'classification';
  name: string;
  /** Class names; class id k is classes[k]. For two classes, id 1 is the positive class of F1. */
  classes: string[];
  vocabulary: Vocabulary;
  sequenceLength: number;
  train: ClassificationSplit;
  validation: ClassificationSplit;
  test: ClassificationSplit;
  notes: string[];
}
