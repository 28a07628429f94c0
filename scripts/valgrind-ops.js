// The workload of scripts/valgrind.sh: a few small GRU and LSTM runs through the addon (sync,
// async, every output, sequence lengths, initial states, bidirectional, bf16 weights), operators
// disposed of and operators left to the garbage collector, then a clean exit. Small on purpose:
// under memcheck node runs some 50 times slower.
const path = require('node:path');
const { GruOp, LstmOp } = require(path.join(__dirname, '..', 'dist'));

let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const tensor = (dims, scale = 0.3) => ({
  type: 'float32',
  data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * scale),
  dims,
});

async function main() {
  const T = 9,
    B = 3,
    I = 5,
    H = 17;
  const gru = new GruOp(
    { W: tensor([2, 3 * H, I]), R: tensor([2, 3 * H, H]), B: tensor([2, 6 * H]) },
    { direction: 'bidirectional', linearBeforeReset: 1, threads: 2 },
  );
  const lstm = new LstmOp({ W: tensor([1, 4 * H, I]), R: tensor([1, 4 * H, H]), P: tensor([1, 3 * H]) }, { layout: 1, clip: 3 });
  const bf16 = new GruOp({ W: tensor([1, 3 * H, I]), R: tensor([1, 3 * H, H]) }, { precision: 'bf16' });
  const X = tensor([T, B, I], 1);
  const lens = { type: 'int32', data: Int32Array.of(9, 0, 4), dims: [B] };
  let checksum = 0;
  for (let k = 0; k < 3; k++) {
    checksum += gru.run({ X, sequenceLens: lens, initialH: tensor([2, B, H]) }).Y.data[5];
    const [a, b] = await Promise.all([gru.runAsync({ X }), lstm.runAsync({ X: tensor([B, T, I], 1), initialC: tensor([B, 1, H]) })]);
    checksum += a.Y_h.data[0] + b.Y_c.data[0];
    checksum += bf16.run({ X }, { outputs: ['Y_h'] }).Y_h.data[1];
  }
  try {
    gru.run({ X: tensor([T, B, I + 1]) });
  } catch (e) {
    checksum += e instanceof RangeError ? 1 : 0;
  }
  const pending = lstm.runAsync({ X: tensor([B, T, I], 1) });
  lstm.dispose(); // while the call is in flight
  checksum += (await pending).Y_h.data[0];
  gru.dispose();
  bf16.dispose();
  // Forgotten operators: freed by finalizers once collected.
  for (let k = 0; k < 5; k++) new LstmOp({ W: tensor([1, 4 * H, I]), R: tensor([1, 4 * H, H]) }).run({ X });
  if (global.gc) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
    global.gc();
  }
  console.log(`valgrind-ops: done (checksum ${checksum.toFixed(4)})`);
}

main();
