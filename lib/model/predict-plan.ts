// Sequential.predict through a native plan: the model's ONNX export made into a session (what
// toSession and loadOnnx give), so a batch's whole forward pass is one native call off the event
// loop instead of one call per layer. The session is made at the first predict and made again
// when the weights differ from those it was made with (fit, setWeights, or a write into a
// parameter's array: they are compared byte for byte, a memcmp, less work than the layer path's
// own read of every weight per batch). A model the export refuses predicts layer by layer.
import type { Param } from '../layers';
import { type AnyTensor, OnnxSession } from '../onnx/session';
import { Tensor } from '../tensor';
import type { Batchable } from './data';

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export class PredictPlan {
  private session: OnnxSession | null = null;
  /** The parameter arrays and a copy of their contents when the session was made. */
  private arrays: Float32Array[] = [];
  private copy: Buffer[] = [];
  private made = false;

  /** The session for the model's current weights, or null where its export is refused. */
  sessionFor(params: readonly Param[], exportModel: () => Uint8Array): OnnxSession | null {
    if (this.made && this.current(params)) return this.session;
    this.dispose();
    this.arrays = params.map((p) => p.value);
    this.copy = params.map((p) => Buffer.from(bytesOf(p.value)));
    this.made = true;
    try {
      // The caller has checked the call's memory against its own budget (checkStages).
      this.session = new OnnxSession(exportModel(), { maxRunBytes: Number.MAX_SAFE_INTEGER });
    } catch {
      this.session = null;
    }
    return this.session;
  }

  /**
   * One batch's outputs, or null when the session refuses the batch (a token id out of range) or
   * its result is not the shape the layers give: the caller then runs the layers, which report
   * the error in the model's terms.
   */
  async run(session: OnnxSession, x: Batchable, outDims: readonly number[]): Promise<Float32Array | null> {
    const feed = new Tensor(x.data instanceof Float32Array ? 'float32' : 'int32', x.data as Float32Array, x.dims);
    let out: AnyTensor;
    try {
      out = (await session.run({ [session.inputNames[0]]: feed }))[session.outputNames[0]];
    } catch {
      return null;
    }
    if (out.type !== 'float32' || out.dims.length !== outDims.length || out.dims.some((d, k) => d !== outDims[k])) return null;
    return out.data as Float32Array;
  }

  private current(params: readonly Param[]): boolean {
    return (
      params.length === this.arrays.length && params.every((p, k) => p.value === this.arrays[k] && bytesOf(p.value).equals(this.copy[k]))
    );
  }

  dispose(): void {
    this.session?.dispose();
    this.session = null;
    this.arrays = [];
    this.copy = [];
    this.made = false;
  }
}
