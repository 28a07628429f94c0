// ExecutionPlan: a whole inference graph as one native call (native/plan). lib/onnx/plan.ts
// compiles a session's nodes into the description and, per distinct input shape, a program;
// this module only carries them across to the addon.
import type { NativePlan, NativePlanCall, NativePlanDescription } from '../../binding';
import { binding } from '../native';
import type { NativeSpec } from '../../binding';

export type { NativePlanCall as PlanCall, NativePlanDescription as PlanDescription };

/** A recurrent operator's spec in the flat form the plan takes. */
export function flatSpec(s: NativeSpec): Float64Array {
  return Float64Array.from([
    s.cell,
    s.hiddenSize,
    s.inputSize,
    s.numDirections,
    s.reverse ? 1 : 0,
    s.linearBeforeReset ? 1 : 0,
    s.inputForget ? 1 : 0,
    s.layout,
    s.bf16Weights ? 1 : 0,
    s.clip === undefined ? 0 : 1,
    s.clip ?? 0,
    ...s.acts,
  ]);
}

export class ExecutionPlan {
  private native: NativePlan | null;

  constructor(description: NativePlanDescription) {
    const { NativePlan } = binding();
    this.native = new NativePlan(description);
  }

  /** Runs a program on the calling thread; returns the CPU milliseconds it took. */
  run(call: NativePlanCall): number {
    return this.live().run(call);
  }

  /** Runs a program on a worker thread (the inputs are copied before this returns); resolves to the CPU milliseconds it took there. */
  runAsync(call: NativePlanCall): Promise<number> {
    return this.live().runAsync(call);
  }

  get packedBytes(): number {
    return this.native?.packedBytes ?? 0;
  }

  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }

  private live(): NativePlan {
    if (!this.native) throw new Error('ExecutionPlan: this plan has been disposed');
    return this.native;
  }
}
