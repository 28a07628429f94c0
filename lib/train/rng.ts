// The seeded generator lives in lib/rng.ts, below every layer that draws from it (data, onnx);
// training code may keep importing it from here.
export { Rng, randomSeed } from '../rng';
