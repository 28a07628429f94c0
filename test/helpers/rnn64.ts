// A float64 forward pass of the ONNX GRU (both linear_before_reset forms) and LSTM (no peepholes)
// with the default activations: the exact function whose central finite differences the native
// gradients are checked against. Plain loops, written from the ONNX equations; never fast.

/** A small deterministic PRNG in [0, 1). */
export function rng32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
