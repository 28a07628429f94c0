// The layering of lib/ as a rule (`npm run lint:layers`; docs/internals.md explains it).
// Imports go down the table only: a layer may import the layers listed in its `uses` and
// nothing else in lib/, type-only imports included. Rules are by folder, so files may move
// within a folder freely.

/** Each layer: a path pattern and the layers below it that it may import (besides itself). */
const LAYERS = {
  // The public surface and the command line: may import anything; nothing imports them.
  index: { path: '^lib/index\\.ts$', uses: ['cli', 'compare', 'tasks', 'data', 'model', 'layers', 'train', 'onnx', 'ops', 'base'] },
  cli: { path: '^lib/cli\\.ts$', uses: ['compare', 'tasks', 'data', 'model', 'layers', 'train', 'onnx', 'ops', 'base'] },
  // gatedrnn compare: the generic runner, statistics and report over the tasks.
  compare: { path: '^lib/compare/', uses: ['tasks', 'data', 'model', 'layers', 'train', 'onnx', 'ops', 'base'] },
  // One file per comparison task and the claims experiments; never compare/.
  tasks: { path: '^lib/tasks/', uses: ['data', 'model', 'layers', 'train', 'onnx', 'ops', 'base'] },
  // Dataset loaders, tokenizers, windowing: plain data, no models.
  data: { path: '^lib/data/', uses: ['base'] },
  // Keras-like models, save/load, the model's ONNX export.
  model: { path: '^lib/model/', uses: ['layers', 'train', 'onnx', 'ops', 'base'] },
  // Keras-like layers over the training kernels.
  layers: { path: '^lib/layers/', uses: ['train', 'ops', 'base'] },
  // Losses, optimizers, metrics, callbacks, initializers: no layers, no models.
  train: { path: '^lib/train/', uses: ['ops', 'base'] },
  // ONNX files: protobuf, import into sessions and plans, export; beside train/, not above it.
  onnx: { path: '^lib/onnx/', uses: ['ops', 'base'] },
  // The operators, the trainer, GEMM, CUDA and backend info: the only way into the addon.
  ops: { path: '^lib/ops/', uses: ['native', 'base'] },
  // The addon loader and the addon's types.
  native: { path: '^(lib/native\\.ts|binding\\.d\\.ts)$', uses: ['base'] },
  // Utilities every layer may use: errors, argument checks, tensors, memory, files, the seeded
  // generator, and util/ (the argument parser, the atomic writer, quantiles).
  base: { path: '^lib/((errors|validate|tensor|memory|files|rng)\\.ts$|util/)', uses: [] },
};

const IN_PROJECT = '^(lib/|binding\\.d\\.ts$)';

const layerRules = Object.entries(LAYERS).map(([name, layer]) => ({
  name: `layer-${name}`,
  comment: `${name} (${layer.path}) may import only ${[name, ...layer.uses].join(', ')}`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: IN_PROJECT, pathNot: [layer.path, ...layer.uses.map((u) => LAYERS[u].path)] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'unplaced-module',
      comment: 'every module in lib/ belongs to a layer of .dependency-cruiser.cjs: place a new top-level file or folder there',
      severity: 'error',
      from: { path: '^lib/', pathNot: Object.values(LAYERS).map((l) => l.path) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'no module depends on itself through others',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type import from a higher layer couples the layers all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules|build)/' },
  },
};
