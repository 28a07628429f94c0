// Stands in for onnxruntime-node where it cannot load (its arm64 binary crashes under qemu-user):
// requiring it works, using it throws, so suites that import it for other tests still run.

module.exports = new Proxy(
  {},
  {
    get(_, name) {
      if (name === '__esModule' || typeof name === 'symbol') return undefined;
      throw new Error(`onnxruntime-node is not available here (qemu-user), so ${String(name)} cannot be used`);
    },
  },
);
