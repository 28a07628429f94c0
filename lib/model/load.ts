// loadModel: reads a model file and rebuilds the model class its header names.
import { typeError } from '../errors';
import { modelFileCap, readFileCappedAsync } from '../files';
import { decode } from './io';
import { Seq2Seq } from './seq2seq';
import { Sequential } from './sequential';

/**
 * Reads a model saved with model.save (or a fit checkpoint): architecture, weights and compile
 * settings. A Seq2Seq file gives a Seq2Seq: `await loadModel<Seq2Seq>(path)`.
 */
export async function loadModel<M extends Sequential | Seq2Seq = Sequential>(path: string): Promise<M> {
  if (typeof path !== 'string' || path === '') throw typeError('loadModel', 'path', 'a file path', path);
  const bytes = await readFileCappedAsync('loadModel', path, modelFileCap());
  const kind = (decode(bytes, path).header.model as { className?: unknown } | undefined)?.className;
  return (kind === 'Seq2Seq' ? Seq2Seq.fromBytes(bytes, path) : Sequential.fromBytes(bytes, path)) as M;
}
