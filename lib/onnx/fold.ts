// Constant and shape folding at load: a node whose inputs are all known (initializers, Constant
// outputs, earlier folded values, or the Shape of an input whose dims are all declared) is
// evaluated once when the session is made, so the per-run work is only what depends on feeds.
// Folding is bounded: each folded tensor and all of them together stay within a budget that
// grows with the file's size, so a small hostile file cannot make loading allocate gigabytes.
import type { GraphNode, ValueInfo } from './graph';
import type { Kernel } from './ops/types';
import { OverLimit, type Value, withElementLimit } from './values';

/** Elements one folded tensor may hold, and all folded tensors together, per byte of file (at least the floor). */
const PER_TENSOR_FLOOR = 1 << 22;
const TOTAL_FLOOR = 1 << 24;
const PER_BYTE = 16;

export class Folder {
  private readonly perTensor: number;
  private left: number;

  constructor(
    fileBytes: number,
    private readonly constants: Map<string, Value>,
    private readonly inputs: ReadonlyMap<string, ValueInfo>,
  ) {
    this.perTensor = Math.max(PER_TENSOR_FLOOR, PER_BYTE * fileBytes);
    this.left = Math.max(TOTAL_FLOOR, PER_BYTE * fileBytes);
  }

  /** Input k of `node` if known at load. */
  constant(node: GraphNode, k: number): Value | undefined {
    const name = node.inputs[k];
    return name ? this.constants.get(name) : undefined;
  }

  /**
   * Evaluates `node` now when it can be; returns whether it was folded (its outputs are then
   * constants). Errors other than the size limit are real problems in the graph and propagate.
   */
  fold(node: GraphNode, kernel: Kernel, where: string): boolean {
    if (kernel.foldable === false) return false;
    if (node.opType === 'Shape' && this.foldShape(node, kernel, where)) return true;
    const present = node.inputs.map((name) => name !== '');
    if (present.some((p, k) => p && this.constant(node, k) === undefined)) return false;
    const args = node.inputs.map((_, k) => this.constant(node, k));
    let outputs: Value[];
    try {
      outputs = withElementLimit(Math.min(this.perTensor, this.left), () => kernel.run(args, where));
    } catch (e) {
      if (e instanceof OverLimit) return false;
      throw e;
    }
    this.store(node, outputs);
    return true;
  }

  private foldShape(node: GraphNode, kernel: Kernel, where: string): boolean {
    const declared = this.inputs.get(node.inputs[0]);
    if (!declared?.dims?.every((d): d is number => typeof d === 'number')) return false;
    // Shape reads dims only: a stand-in with the declared dims and no data.
    const standIn: Value = { type: declared.type ?? 'float32', data: new Float32Array(0), dims: declared.dims };
    this.store(node, kernel.run([standIn], where));
    return true;
  }

  private store(node: GraphNode, outputs: Value[]): void {
    node.outputs.forEach((name, k) => {
      if (name !== '' && outputs[k] !== undefined) {
        this.constants.set(name, outputs[k]);
        this.left -= outputs[k].data.length;
      }
    });
  }
}
