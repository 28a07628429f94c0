// The gatedrnn command line: `npx gatedrnn <command> [...]`. Commands live in one table; each
// parses its own arguments and returns the exit code.
import { backendInfo } from './ops/backend';
import { COMPARE_USAGE } from './compare/cli-args';
import { compareCommand } from './compare/command';
import { readFileCapped } from './files';
import { machineInfo } from './compare/machine';
import { trainAndMeasure } from './compare/train-and-measure';
import { crosscheck, formatCrosscheck } from './onnx/crosscheck';
import { MAX_THREADS } from './ops/recurrent';
import { Tensor, type TensorType } from './tensor';
import { type OptionKind, parseCommandArgs, UsageError } from './util/args';

export interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Splits options from positionals with the CLI's one parser (util/args), every valued option a
 * list; `flags` take no value.
 */
export function parseArgs(
  args: string[],
  valued: readonly string[],
  flags: readonly string[] = [],
): { positional: string[]; options: Map<string, string[]> } {
  const specs: Record<string, OptionKind> = {};
  for (const name of valued) specs[name] = 'list';
  for (const name of flags) specs[name] = 'flag';
  const { options, positionals } = parseCommandArgs(args, specs, { positionals: true });
  return { positional: positionals, options };
}

function number(name: string, text: string | undefined, integer: boolean, max = Number.MAX_VALUE): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0 || v > max || (integer && !Number.isInteger(v))) {
    const what = integer ? 'a non-negative integer' : 'a non-negative number';
    throw new UsageError(`--${name} expects ${what}${max < Number.MAX_VALUE ? ` of at most ${max}` : ''}, but received '${text}'`);
  }
  return v;
}

const CROSSCHECK_OPTIONS: Readonly<Record<string, OptionKind>> = {
  inputs: 'string',
  tolerance: 'string',
  dim: 'list',
  runs: 'string',
  threads: 'string',
  json: 'flag',
};

/** Bounds of crosscheck's numeric flags: each timed run is a full run of both engines. */
const MAX_RUNS = 10_000;

/** Reads feeds from JSON: { name: { type, dims, data } }, or an object with such an `inputs` member. */
export function readInputs(file: string): Record<string, Tensor> {
  const json = JSON.parse(readFileCapped('crosscheck --inputs', file).toString('utf8')) as Record<string, unknown>;
  const entries = (json.inputs && typeof json.inputs === 'object' ? json.inputs : json) as Record<
    string,
    { type?: string; dims?: number[]; data?: unknown }
  >;
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(entries)) {
    const type = (t?.type ?? 'float32') as TensorType;
    if (type !== 'float32' && type !== 'int32' && type !== 'int64')
      throw new UsageError(`${file}: input '${name}' has type '${String(type)}'; expected float32, int32 or int64`);
    if (!Array.isArray(t.data) || !t.data.every((v) => typeof v === 'number' || typeof v === 'string')) {
      throw new UsageError(`${file}: input '${name}' needs "data", an array of numbers`);
    }
    const values = t.data as (number | string)[];
    const data =
      type === 'int64'
        ? BigInt64Array.from(values, (v) => BigInt(v))
        : type === 'int32'
          ? Int32Array.from(values, Number)
          : Float32Array.from(values, Number);
    try {
      feeds[name] = new Tensor(type, data as Float32Array, t.dims ?? [values.length]);
    } catch (e) {
      throw new UsageError(`${file}: input '${name}': ${(e as Error).message}`);
    }
  }
  return feeds;
}

export const COMMANDS: Record<string, Command> = {
  crosscheck: {
    summary: 'run an ONNX model in gatedrnn and onnxruntime-node and compare outputs and speed',
    usage: [
      'gatedrnn crosscheck model.onnx [--inputs file.json] [--tolerance 1e-4] [--dim name=size]... [--runs 5] [--threads n] [--json]',
      '  --inputs     feeds as JSON { name: { type, dims, data } }; default: random, shaped from the model',
      '  --dim        size of a symbolic input dim for random feeds (default: batch-like 2, others 6)',
      '  --tolerance  largest allowed absolute difference; the exit code is 1 beyond it',
      '  --runs       timed runs of each engine after a warm-up (the median is reported)',
      '  --json       print the report as JSON',
    ].join('\n'),
    async run(args, io) {
      const { positionals: positional, options } = parseCommandArgs(args, CROSSCHECK_OPTIONS, { positionals: true });
      if (positional.length !== 1) throw new UsageError(`expected one model file, but received ${positional.length}`);
      const dims: Record<string, number> = {};
      for (const spec of options.get('dim') ?? []) {
        const m = /^([^=]+)=(\d+)$/.exec(spec);
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 0x7fffffff)
          throw new UsageError(`--dim expects name=size with size in [1, 2^31), but received '${spec}'`);
        dims[m[1]] = Number(m[2]);
      }
      const feeds = options.has('inputs') ? readInputs(options.get('inputs')![0]) : undefined;
      const threads = number('threads', options.get('threads')?.[0], true, MAX_THREADS);
      const report = await crosscheck(positional[0], feeds, {
        tolerance: number('tolerance', options.get('tolerance')?.[0], false),
        runs: number('runs', options.get('runs')?.[0], true, MAX_RUNS),
        threads: threads || undefined,
        dims,
      });
      if (options.has('json')) {
        const { feeds: _omit, ...rest } = report;
        io.out(JSON.stringify({ model: positional[0], ...rest }, null, 2));
      } else {
        io.out(formatCrosscheck(positional[0], report));
      }
      return report.ok ? 0 : 1;
    },
  },
  compare: {
    summary: 'train a GRU and an LSTM on the same tasks; report accuracy, speed, size and memory',
    usage: COMPARE_USAGE.replace(/^Usage: /, ''),
    // compareCommand writes straight to process.stdout/stderr: its progress bar needs the TTY.
    run: (args) => {
      const { isa, threads, openmp } = backendInfo();
      return compareCommand(args, { trainAndMeasure, machine: { ...machineInfo(), backend: { isa, threads, openmp } } });
    },
  },
  info: {
    summary: 'print the native backend: ISA, threads, OpenMP, CUDA, version',
    usage: 'gatedrnn info',
    async run(args, io) {
      if (args.length > 0) throw new UsageError(`info takes no arguments, but received ${args.join(' ')}`);
      const info = backendInfo();
      io.out(JSON.stringify(info, null, 2));
      return 0;
    },
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: gatedrnn <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "`gatedrnn <command> --help` shows a command's options.",
  ].join('\n');
}

const STDIO: Io = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };

/** Runs the CLI; resolves to the exit code (0 ok, 1 a failed check, 2 a usage error or failure). */
export async function main(argv: string[], io: Io = STDIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`gatedrnn: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`gatedrnn ${name}: ${e.message}\nusage: ${command.usage}`);
      return 2;
    }
    // Library errors name their function first ('crosscheck: ...'); the command already says it.
    const message = (e as Error).message;
    io.err(`gatedrnn ${name}: ${message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message}`);
    return 2;
  }
}
