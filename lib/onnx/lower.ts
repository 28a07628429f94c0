// The nodes a native plan covers, as instructions (native/plan/plan.h: PlanOp): each method
// checks that the node fits the plan at these shapes (else Uncovered, and the interpreter runs it)
// and emits it over the segment's arena (compile.ts).
import { type Known, type Slot, type Sym, Uncovered } from './arena';
import { MAX_RANK, OP, SegmentCompiler, type Set1, UNARY, VIEWS, attrs, toInts } from './compile';
import type { GraphNode } from './graph';
import type { Kernel } from './ops/types';
import { type Value, sizeOf } from './values';

export class Compiler extends SegmentCompiler {
  protected lower(node: GraphNode, kernel: Kernel, ins: (Sym | undefined)[], set: Set1): void {
    if (VIEWS.has(node.opType)) {
      this.view(node, kernel, ins, set);
      return;
    }
    switch (node.opType) {
      case 'Gather':
        this.gather(node, ins, set);
        break;
      case 'Gemm':
      case 'MatMul':
        this.gemm(node, ins, set);
        break;
      case 'Add':
        this.add(ins, set);
        break;
      case 'Softmax':
        this.softmax(node, ins, set);
        break;
      case 'Transpose':
        this.transpose(node, ins, set);
        break;
      case 'Slice':
        this.slice(node, ins, set);
        break;
      case 'Concat':
        this.concat(node, ins, set);
        break;
      case 'Equal':
        this.equal(ins, set);
        break;
      case 'Where':
        this.where(ins, set);
        break;
      case 'ReduceSum':
        this.reduceSum(node, ins, set);
        break;
      case 'GRU':
      case 'LSTM':
      case 'RNN':
        this.recurrent(node, ins, set);
        break;
      default:
        if (node.opType in UNARY) {
          const x = this.floatSlot(ins[0]);
          const out = this.alloc(x.dims, 'float32');
          this.emit(OP.Unary, out.slot, x.slot, sizeOf(x.dims), UNARY[node.opType]);
          this.flops += sizeOf(x.dims);
          set(0, out);
          break;
        }
        throw new Uncovered();
    }
  }

  private floatSlot(s: Sym | undefined): Slot {
    if (!s) throw new Uncovered();
    const x = this.slotOf(s);
    if (x.type !== 'float32') throw new Uncovered();
    return x;
  }

  /** Reshape and friends: the interpreter's kernel works out the dims from a stand-in of the input. */
  private view(node: GraphNode, kernel: Kernel, ins: (Sym | undefined)[], set: Set1): void {
    const x = ins[0];
    if (x?.kind !== 'slot' || node.outputs.filter((o) => o !== '').length !== 1 || ins.slice(1).some((s) => s && s.kind !== 'known'))
      throw new Uncovered();
    const standIn = {
      type: x.type === 'float32' ? 'float32' : x.type === 'bool' ? 'bool' : 'int32',
      data: { length: sizeOf(x.dims) },
      dims: x.dims,
    } as unknown as Value;
    const [out] = kernel.run([standIn, ...ins.slice(1).map((s) => (s as Known | undefined)?.value)], node.label);
    if (!out || sizeOf(out.dims) !== sizeOf(x.dims)) throw new Uncovered();
    set(0, { ...x, dims: [...out.dims] });
  }

  private gather(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const [data, ids] = ins;
    // One index along axis 0 of a value in the arena (the last layer's state, say): a view.
    if (
      data?.kind === 'slot' &&
      ids?.kind === 'known' &&
      attrs(node).int('axis', 0) === 0 &&
      sizeOf(ids.value.dims) === 1 &&
      ids.value.dims.length <= 1 &&
      data.dims.length >= 1
    ) {
      const d0 = data.dims[0];
      let i = toInts(ids.value)[0];
      if (i < 0) i += d0;
      if (!(i >= 0 && i < d0)) throw new Uncovered();
      const rest = data.dims.slice(1);
      set(0, { ...data, slot: data.slot + i * sizeOf(rest), dims: ids.value.dims.length === 0 ? rest : [1, ...rest] });
      return;
    }
    if (data?.kind !== 'known' || data.value.type !== 'float32' || data.value.dims.length !== 2 || attrs(node).int('axis', 0) !== 0)
      throw new Uncovered();
    if (ids?.kind !== 'slot' || ids.type !== 'int32') throw new Uncovered();
    const [V, D] = data.value.dims;
    const n = sizeOf(ids.dims);
    const out = this.alloc([...ids.dims, D], 'float32');
    this.emit(OP.Gather, out.slot, ids.slot, n, this.constant(data.value.data as Float32Array), V, D);
    set(0, out);
  }

  private gemm(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const m = this.parts.matrices.get(node);
    if (!m) throw new Uncovered();
    const a = this.floatSlot(ins[0]);
    let M: number;
    let outDims: number[];
    let alpha = 1;
    let beta = 1;
    let bias = -1;
    let biasKind = 0;
    if (node.opType === 'MatMul') {
      if (a.dims.length < 2 || a.dims[a.dims.length - 1] !== m.K) throw new Uncovered();
      M = sizeOf(a.dims.slice(0, -1));
      outDims = [...a.dims.slice(0, -1), m.N];
    } else {
      const at = attrs(node);
      if (at.int('transA', 0) !== 0 || a.dims.length !== 2 || a.dims[1] !== m.K) throw new Uncovered();
      alpha = at.float('alpha', 1);
      beta = at.float('beta', 1);
      M = a.dims[0];
      outDims = [M, m.N];
      const c = ins[2];
      if (c) {
        if (c.kind !== 'known' || c.value.type !== 'float32') throw new Uncovered();
        const d = c.value.dims;
        const n = sizeOf(d);
        if (n === m.N && (d.length === 1 || (d.length === 2 && d[0] === 1))) biasKind = 1;
        else if (d.length === 2 && d[0] === M && d[1] === m.N) biasKind = 2;
        else if (n === 1) biasKind = 3;
        else throw new Uncovered();
        bias = this.constant(c.value.data as Float32Array);
      }
    }
    const out = this.alloc(outDims, 'float32');
    this.emit(OP.Gemm, out.slot, a.slot, M, m.N, m.K, m.index, bias, biasKind, this.param(alpha), this.param(beta));
    this.flops += 2 * M * m.N * m.K;
    set(0, out);
  }

  /** A float value plus a constant bias along its last axis. */
  private add(ins: (Sym | undefined)[], set: Set1): void {
    const [p, q] = ins;
    const [x, b] = p?.kind === 'slot' ? [p, q] : [q, p];
    if (x?.kind !== 'slot' || x.type !== 'float32' || !b || b.kind !== 'known' || b.value.type !== 'float32') throw new Uncovered();
    const N = x.dims[x.dims.length - 1];
    const bd = b.value.dims;
    if (x.dims.length < 1 || sizeOf(bd) !== N || bd.length > x.dims.length || bd.slice(0, -1).some((d) => d !== 1)) throw new Uncovered();
    const out = this.alloc(x.dims, 'float32');
    this.emit(OP.AddBias, out.slot, x.slot, sizeOf(x.dims) / N, N, this.constant(b.value.data as Float32Array));
    this.flops += sizeOf(x.dims);
    set(0, out);
  }

  private softmax(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const x = this.floatSlot(ins[0]);
    const r = x.dims.length;
    const axis = attrs(node).int('axis', this.parts.opset >= 13 ? -1 : 1);
    if (r < 1 || (axis < 0 ? axis + r : axis) !== r - 1) throw new Uncovered();
    const out = this.alloc(x.dims, 'float32');
    const width = x.dims[r - 1];
    this.emit(OP.Softmax, out.slot, x.slot, width === 0 ? 0 : sizeOf(x.dims) / width, width);
    this.flops += 4 * sizeOf(x.dims);
    set(0, out);
  }

  private transposeSlot(x: Slot, perm: number[]): Slot {
    const r = x.dims.length;
    const outDims = perm.map((p) => x.dims[p]);
    // Moving only axes of size 1 keeps the order in memory: a view.
    const moved = perm.filter((p) => x.dims[p] !== 1);
    if (moved.every((p, k) => k === 0 || p > moved[k - 1])) return { ...x, dims: outDims };
    if (r > MAX_RANK) throw new Uncovered();
    const out = this.alloc(outDims, x.type, x.as);
    const pad = (a: number[], fill: number) => [...a, ...new Array(MAX_RANK - a.length).fill(fill)];
    this.emit(OP.Transpose, out.slot, x.slot, r, ...pad(x.dims, 1), ...pad(perm, 0));
    this.flops += sizeOf(x.dims);
    return out;
  }

  private transpose(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const x = ins[0];
    if (x?.kind !== 'slot') throw new Uncovered();
    const r = x.dims.length;
    const perm = attrs(node).ints('perm') ?? [...Array(r).keys()].reverse();
    if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) throw new Uncovered();
    set(0, this.transposeSlot(x, perm));
  }

  private slice(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const x = ins[0];
    if (x?.kind !== 'slot' || x.dims.length > MAX_RANK) throw new Uncovered();
    const r = x.dims.length;
    let starts: number[];
    let ends: number[];
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if (this.parts.opset >= 10) {
      const known = (s: Sym | undefined) => {
        if (s === undefined) return undefined;
        if (s.kind !== 'known') throw new Uncovered();
        return toInts(s.value);
      };
      starts = known(ins[1])!;
      ends = known(ins[2])!;
      axes = known(ins[3]);
      steps = known(ins[4]);
    } else {
      const a = attrs(node);
      starts = a.ints('starts') ?? [];
      ends = a.ints('ends') ?? [];
      axes = a.ints('axes');
    }
    axes ??= starts.map((_, k) => k);
    steps ??= starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw new Uncovered();
    const st = new Array(r).fill(0);
    const sp = new Array(r).fill(1);
    const outDims = [...x.dims];
    axes.forEach((ax0, k) => {
      const ax = ax0 < 0 ? ax0 + r : ax0;
      const d = x.dims[ax];
      const step = steps![k];
      if (ax < 0 || ax >= r || step === 0) throw new Uncovered();
      let s = starts[k] < 0 ? starts[k] + d : starts[k];
      let e = ends[k] < 0 ? ends[k] + d : ends[k];
      let len: number;
      if (step > 0) {
        s = Math.min(d, Math.max(0, s));
        e = Math.min(d, Math.max(0, e));
        len = Math.max(0, Math.ceil((e - s) / step));
      } else {
        s = Math.min(d - 1, Math.max(0, s));
        e = Math.min(d - 1, Math.max(-1, e));
        len = Math.max(0, Math.ceil((s - e) / -step));
      }
      st[ax] = len > 0 ? s : 0;
      sp[ax] = step;
      outDims[ax] = len;
    });
    const out = this.alloc(outDims, x.type, x.as);
    const pad = (a: number[], fill: number) => [...a, ...new Array(MAX_RANK - a.length).fill(fill)];
    this.emit(OP.Slice, out.slot, x.slot, r, ...pad(x.dims, 1), ...pad(st, 0), ...pad(sp, 1), ...pad(outDims, 1));
    set(0, out);
  }

  private concat(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    if (ins.length === 0 || ins.some((s) => !s)) throw new Uncovered();
    const parts = ins.map((s) => this.slotOf(s!));
    const r = parts[0].dims.length;
    const ax0 = attrs(node).int('axis', 0);
    const ax = ax0 < 0 ? ax0 + r : ax0;
    if (
      ax < 0 ||
      ax >= r ||
      parts.some((p) => p.dims.length !== r || p.type !== parts[0].type || p.dims.some((d, k) => k !== ax && d !== parts[0].dims[k]))
    )
      throw new Uncovered();
    const outDims = [...parts[0].dims];
    outDims[ax] = parts.reduce((a, p) => a + p.dims[ax], 0);
    const out = this.alloc(outDims, parts[0].type, parts[0].as);
    const outer = sizeOf(outDims.slice(0, ax));
    this.emit(OP.Concat, out.slot, outer, parts.length, ...parts.flatMap((p) => [p.slot, sizeOf(p.dims.slice(ax))]));
    set(0, out);
  }

  /** An int32 scalar known at compile time. */
  private scalar(s: Sym | undefined): number {
    if (s?.kind !== 'known' || (s.value.type !== 'int32' && s.value.type !== 'int64') || sizeOf(s.value.dims) !== 1) throw new Uncovered();
    const v = toInts(s.value)[0];
    if (v < -(2 ** 31) || v >= 2 ** 31) throw new Uncovered();
    return v;
  }

  private equal(ins: (Sym | undefined)[], set: Set1): void {
    const [p, q] = ins;
    const [x, c] = p?.kind === 'slot' ? [p, q] : [q, p];
    if (x?.kind !== 'slot' || x.type !== 'int32') throw new Uncovered();
    const v = this.scalar(c);
    const out = this.alloc(x.dims, 'bool');
    this.emit(OP.EqualScalar, out.slot, x.slot, sizeOf(x.dims), v);
    set(0, out);
  }

  private where(ins: (Sym | undefined)[], set: Set1): void {
    const [c, a, b] = ins;
    if (c?.kind !== 'slot' || c.type !== 'bool') throw new Uncovered();
    const av = this.scalar(a);
    const bv = this.scalar(b);
    if ((a as Known).value.type !== (b as Known).value.type) throw new Uncovered();
    const out = this.alloc(c.dims, 'int32', (a as Known).value.type);
    this.emit(OP.WhereScalars, out.slot, c.slot, sizeOf(c.dims), av, bv);
    set(0, out);
  }

  private reduceSum(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const x = ins[0];
    if (x?.kind !== 'slot' || x.type !== 'int32') throw new Uncovered();
    const a = attrs(node);
    let axes = a.ints('axes');
    if (this.parts.opset >= 13 && ins[1]) {
      if (ins[1].kind !== 'known') throw new Uncovered();
      axes = toInts(ins[1].value);
    }
    const r = x.dims.length;
    if (axes?.length !== 1 || a.int('noop_with_empty_axes', 0) !== 0) throw new Uncovered();
    const ax = axes[0] < 0 ? axes[0] + r : axes[0];
    if (ax < 0 || ax >= r) throw new Uncovered();
    const keep = a.int('keepdims', 1) === 1;
    const outDims = keep ? x.dims.map((d, k) => (k === ax ? 1 : d)) : x.dims.filter((_, k) => k !== ax);
    const out = this.alloc(outDims, 'int32', x.as);
    this.emit(OP.ReduceSumInt, out.slot, x.slot, sizeOf(x.dims.slice(0, ax)), x.dims[ax], sizeOf(x.dims.slice(ax + 1)));
    set(0, out);
  }

  private recurrent(node: GraphNode, ins: (Sym | undefined)[], set: Set1): void {
    const r = this.parts.rnns.get(node);
    if (!r) throw new Uncovered();
    const { spec } = r;
    const X = this.floatSlot(ins[0]);
    if (X.dims.length !== 3 || X.dims[2] !== spec.inputSize) throw new Uncovered();
    const batchMajor = node.batchMajor !== undefined;
    const layout = spec.layout;
    const [T, B] = layout === 0 ? [X.dims[0], X.dims[1]] : [X.dims[1], X.dims[0]];
    // Empty batches and sequences are the interpreter's to answer.
    if (T < 1 || B < 1) throw new Uncovered();
    const D = spec.numDirections;
    const H = spec.hiddenSize;
    const lstm = node.opType === 'LSTM';
    let lens = -1;
    if (ins[4]) {
      const l = this.slotOf(ins[4]);
      if (l.type !== 'int32' || l.dims.length !== 1 || l.dims[0] !== B) throw new Uncovered();
      lens = l.slot;
    }
    // States: [D, B, H] in the graph; a batch-major node takes and gives [B, D, H].
    const graphState = layout === 1 && !batchMajor ? [B, D, H] : [D, B, H];
    const stateIn = (s: Sym | undefined): number => {
      if (!s) return -1;
      const v = this.floatSlot(s);
      if (v.dims.length !== 3 || v.dims.some((d, k) => d !== graphState[k])) throw new Uncovered();
      return batchMajor ? this.transposeSlot(v, [1, 0, 2]).slot : v.slot;
    };
    const h0 = stateIn(ins[5]);
    const c0 = lstm ? stateIn(ins[6]) : -1;
    const wanted = (k: number) => node.outputs[k] !== undefined && node.outputs[k] !== '';
    const yDims = layout === 0 ? [T, D, B, H] : [B, T, D, H];
    const nativeState = layout === 1 ? [B, D, H] : [D, B, H];
    const Y = wanted(0) ? this.alloc(yDims, 'float32') : null;
    const Yh = wanted(1) ? this.alloc(nativeState, 'float32') : null;
    const Yc = lstm && wanted(2) ? this.alloc(nativeState, 'float32') : null;
    this.emit(OP.Rnn, r.index, X.slot, T, B, lens, h0, c0, Y?.slot ?? -1, Yh?.slot ?? -1, Yc?.slot ?? -1);
    const gates = spec.cell === 0 ? 1 : spec.cell === 1 ? 3 : 4;
    this.flops += 2 * T * B * D * gates * H * (spec.inputSize + H);
    if (Y) set(0, batchMajor && node.batchMajor!.mergeDirections ? { ...Y, dims: [B, T, D * H] } : Y);
    const stateOut = (s: Slot) => (batchMajor ? this.transposeSlot(s, [1, 0, 2]) : s);
    if (Yh) set(1, stateOut(Yh));
    if (Yc) set(2, stateOut(Yc));
  }
}
