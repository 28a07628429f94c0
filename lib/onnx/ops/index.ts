// Every operator the ONNX loader runs, by op_type.
import { ELEMENTWISE_OPS } from './elementwise';
import { LINEAR_OPS } from './linear';
import { RECURRENT_OPS } from './recurrent';
import { REDUCE_OPS } from './reduce';
import { SHAPE_OPS } from './shape';
import type { OpDef } from './types';

export const OPS: Readonly<Record<string, OpDef>> = {
  ...RECURRENT_OPS,
  ...SHAPE_OPS,
  ...ELEMENTWISE_OPS,
  ...LINEAR_OPS,
  ...REDUCE_OPS,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS).sort();
