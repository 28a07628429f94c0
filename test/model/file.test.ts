/**
 * .gatedrnn files whose headers lie: the header is checked against the file before anything is
 * built. Configs that imply more parameters than the file holds, overlapping or duplicated array
 * entries, and unknown optimizer, loss or metric names are errors that say what is wrong, found
 * in time and memory proportional to the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { layers, loadModel, sequential, Seq2Seq } from '../../lib';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-file-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The file format, written independently of lib/model/io.ts (the reliability fuzzer's).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { parseModelFile, buildModelFile } = require('../../scripts/fuzz-reliability.js');

/** The header fields these tests read or rewrite: a Sequential's layers, a Seq2Seq's tgtVocab. */
interface Header {
  model: { config: { layers: { className: string; config: Record<string, unknown> }[]; tgtVocab?: number } };
  compile: { optimizer: { name: string }; loss: { name: string }; metrics: string[] };
  arrays: { name: string; offset: number; length: number }[];
}

interface Parsed {
  header: Header;
  payload: Buffer;
}
const parse = (bytes: Buffer): Parsed => parseModelFile(bytes);
const build = ({ header, payload }: Parsed): Buffer => buildModelFile(header, payload);

async function savedModel(name: string): Promise<Buffer> {
  const m = sequential([
    layers.embedding({ inputDim: 20, outputDim: 4 }),
    layers.gru({ units: 8 }),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  m.build([5]);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const file = path.join(tmp, `${name}.gatedrnn`);
  await m.save(file);
  m.dispose();
  return fs.readFileSync(file);
}

function write(name: string, bytes: Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function layerConfig(p: Parsed, className: string): Record<string, unknown> {
  return p.header.model.config.layers.find((l) => l.className === className)!.config;
}

test('a header that claims 3,000 units or a 3e7-row embedding is refused before the parameters are allocated', async () => {
  const good = await savedModel('units');
  const units = parse(good);
  layerConfig(units, 'GRU').units = 3000;
  await expect(loadModel(write('units.gatedrnn', build(units)))).rejects.toThrow(
    /the header's config implies parameter \w+ of shape \[.*\] \(\d+ floats\), but the file's arrays hold \d+ floats/,
  );

  const rows = parse(good);
  layerConfig(rows, 'Embedding').inputDim = 30_000_000;
  const before = process.memoryUsage().rss;
  await expect(loadModel(write('rows.gatedrnn', build(rows)))).rejects.toThrow(
    /implies parameter embeddings of shape \[30000000, 4\] \(120000000 floats\)/,
  );
  expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
});

test('the same model loads, and a header that claims fewer units is caught by the array lengths', async () => {
  const good = await savedModel('fewer');
  const m = await loadModel(write('good.gatedrnn', good));
  expect(m.layers.length).toBe(3);
  m.dispose();
  const fewer = parse(good);
  layerConfig(fewer, 'GRU').units = 4;
  await expect(loadModel(write('fewer.gatedrnn', build(fewer)))).rejects.toThrow(/holds \d+ values, expected \d+ for shape/);
});

test('overlapping, duplicated and out-of-payload array entries are errors before any copy', async () => {
  const good = await savedModel('overlap');
  const p = parse(good);
  const entries = p.header.arrays;
  // 1,500 entries over the same bytes: the decoder would copy the payload 1,500 times.
  const many = {
    ...p,
    header: {
      ...p.header,
      arrays: [...entries, ...Array.from({ length: 1500 }, (_, k) => ({ name: `copy${k}`, offset: 0, length: p.payload.length / 4 }))],
    },
  };
  await expect(loadModel(write('many.gatedrnn', build(many)))).rejects.toThrow(
    /array entries '.*' \(floats \d+ to \d+\) and '.*' \(from \d+\) overlap/,
  );
  const dup = { ...p, header: { ...p.header, arrays: [...entries, { ...entries[0], offset: entries[0].offset }] } };
  await expect(loadModel(write('dup.gatedrnn', build(dup)))).rejects.toThrow(/lists the array '.*' twice/);
  const outside = { ...p, header: { ...p.header, arrays: [{ ...entries[0], offset: p.payload.length / 4 }] } };
  await expect(loadModel(write('outside.gatedrnn', build(outside)))).rejects.toThrow(/lies outside the \d+-float payload/);
});

test('unknown optimizer, loss and metric names are errors that name the field', async () => {
  const good = await savedModel('names');
  const cases: [string, (h: Header) => void, RegExp][] = [
    [
      'optimizer',
      (h) => (h.compile.optimizer.name = 'lbfgs'),
      /header\.compile\.optimizer\.name to be one of sgd, adam, adamw, rmsprop, but received "lbfgs"/,
    ],
    ['loss', (h) => (h.compile.loss.name = 'constructor'), /header\.compile\.loss\.name to be one of .*, but received "constructor"/],
    [
      'metric',
      (h) => (h.compile.metrics = ['accuracy', 'toString']),
      /header\.compile\.metrics\[1\] to be one of .*, but received "toString"/,
    ],
  ];
  for (const [name, change, message] of cases) {
    const p = parse(good);
    change(p.header);
    await expect(loadModel(write(`${name}.gatedrnn`, build(p)))).rejects.toThrow(message);
  }
});

test('a Seq2Seq header that claims a huge vocabulary is refused before allocation', async () => {
  const m = new Seq2Seq({ cell: 'gru', srcVocab: 12, tgtVocab: 10, embedDim: 4, units: 8 });
  const file = path.join(tmp, 's2s.gatedrnn');
  await m.save(file);
  m.dispose();
  const p = parse(fs.readFileSync(file));
  p.header.model.config.tgtVocab = 50_000_000;
  await expect(loadModel(write('s2s-big.gatedrnn', build(p)))).rejects.toThrow(/the header's config implies parameter/);
});
