// Parsing and validation of `gatedrnn compare` arguments.
import * as fs from 'node:fs';
import { BUILTIN_TASKS, DEFAULT_TASKS, type ModelCell, MODEL_CELLS } from '../tasks';
import { type OptionKind, type ParsedArgs, parseCommandArgs, UsageError } from '../util/args';
import { CLAIM_IDS, type Priority, PRIORITIES, type ShardSpec } from './results';

export interface CompareArgs {
  /** Built-in task ids to run; empty when only user data runs. */
  tasks: string[];
  /** Cells trained on every task: 'gru' and 'lstm', and 'rnn' when asked for. */
  cells: ModelCell[];
  seeds: number;
  epochs: number | null;
  budgetSeconds: number | null;
  units: number | null;
  layers: number | null;
  match: 'units' | 'params';
  priority: Priority;
  out: string;
  json: boolean;
  full: boolean;
  csv: { file: string; target: string; window: number } | null;
  text: { file: string; label: string; maxTokens: number | null } | null;
  help: boolean;
  /** The claims experiments to run instead of the per-task comparison (--claims, --claim LIST); null for none. */
  claims: string[] | null;
  /** Run only this shard's units (--shard K/N, or JOB_COMPLETION_INDEX with GATEDRNN_SHARDS); null for all. */
  shard: ShardSpec | null;
}

export const COMPARE_USAGE = `Usage: gatedrnn compare [options]

Trains a GRU and an LSTM of the same architecture on each task (each cell picks its learning
rate on validation loss) and reports, verdicts first: GRU − LSTM on the task's metric with a 95%
interval over seeds and test items ("better", "equivalent" within the task's margin, or
"inconclusive" with the seeds that would settle it), cost ratios with intervals, baselines, and
a recommendation that says what was measured.

Options:
  --task LIST           tasks, comma-separated, or all: ${BUILTIN_TASKS.join(', ')}
                        (default: ${DEFAULT_TASKS.join(', ')}; all adds ${BUILTIN_TASKS.filter((t) => !DEFAULT_TASKS.includes(t)).join(', ')})
  --cells LIST          gru,lstm (default) or gru,lstm,rnn: rnn adds the plain tanh RNN, and the
                        report answers "does gating matter here?" (GRU and LSTM vs the RNN)
  --seeds N             seeds per model (default 3)
  --epochs N            epochs per model (default: per task)
  --budget-seconds S    stop training a model after S seconds (user data: 60 s unless set)
  --units N             recurrent units per layer (default: per task)
  --layers N            stacked recurrent layers (default: per task)
  --match params        size the GRU's units so both whole models have about the same parameter count
  --priority P          accuracy | latency | size (default accuracy)
  --out DIR             report folder (default ./gatedrnn-report)
  --json                print results.json to stdout instead of tables; no progress bar
  --full                whole datasets and longer training (hours on 2 cores; the default is a quick run)
  --csv FILE --target COL [--window N]   forecast COL's next value from the last N rows (default 30)
  --text FILE --label COL [--max-tokens N]   classify the text column of FILE by COL, texts cut
                        to N tokens (default: the length covering 95% of the training texts);
                        user data trains until validation loss stops improving, patience 5
  --shard K/N           run only shard K of N (every N-th unit from the K-th; a unit is one task
                        and seed); without it, JOB_COMPLETION_INDEX (0-based) and GATEDRNN_SHARDS
                        from the environment select the shard. A shard writes only results.json;
                        gatedrnn compare merge DIR... --out DIR writes the report of them all
  --claims              test the usual GRU-vs-LSTM claims with one experiment each (see docs/claims.md)
  --claim LIST          only these claims: ${CLAIM_IDS.join(', ')}
  --help                this text
`;

/** Every option of `gatedrnn compare` and its kind (see util/args for the rules). */
const OPTIONS: Readonly<Record<string, OptionKind>> = {
  task: 'string',
  cells: 'string',
  seeds: 'string',
  epochs: 'string',
  'budget-seconds': 'string',
  units: 'string',
  layers: 'string',
  match: 'string',
  priority: 'string',
  out: 'string',
  csv: 'string',
  target: 'string',
  window: 'string',
  text: 'string',
  label: 'string',
  'max-tokens': 'string',
  claim: 'string',
  shard: 'string',
  json: 'flag',
  full: 'flag',
  help: 'flag',
  claims: 'flag',
};

/** A bad `gatedrnn compare` argument; the message starts with the command. */
export class CompareArgsError extends UsageError {
  constructor(message: string) {
    super(`gatedrnn compare: ${message}`);
    this.name = 'CompareArgsError';
  }
}

function positiveInteger(flag: string, value: string, max = 1e6): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new CompareArgsError(`expected ${flag} to be a whole number from 1 to ${max}, but received "${value}"`);
  return n;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new CompareArgsError(`expected ${flag} to be a positive number of seconds, but received "${value}"`);
  return n;
}

/** --shard K/N, or the environment of a Kubernetes indexed Job (JOB_COMPLETION_INDEX is 0-based). */
function parseShard(flag: string | undefined, env: Record<string, string | undefined>): ShardSpec | null {
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag);
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || count < 1 || count > 100000 || index < 1 || index > count)
      throw new CompareArgsError(`expected --shard to be K/N with 1 <= K <= N (for example 2/4), but received "${flag}"`);
    return { index, count };
  }
  const indexVar = env.JOB_COMPLETION_INDEX;
  const countVar = env.GATEDRNN_SHARDS;
  if (indexVar === undefined && countVar === undefined) return null;
  if (indexVar === undefined || countVar === undefined) {
    throw new CompareArgsError(
      `expected JOB_COMPLETION_INDEX and GATEDRNN_SHARDS to be set together (the shard index from 0, and the number of shards), but only ${indexVar === undefined ? 'GATEDRNN_SHARDS' : 'JOB_COMPLETION_INDEX'} is set`,
    );
  }
  const index = /^\d+$/.test(indexVar) ? Number(indexVar) : NaN;
  const count = /^\d+$/.test(countVar) ? Number(countVar) : NaN;
  if (!(count >= 1 && count <= 100000))
    throw new CompareArgsError(`expected GATEDRNN_SHARDS to be a whole number of shards from 1, but received "${countVar}"`);
  if (!(index >= 0 && index < count))
    throw new CompareArgsError(
      `expected JOB_COMPLETION_INDEX to be a whole number from 0 to ${count - 1} (GATEDRNN_SHARDS is ${count}), but received "${indexVar}"`,
    );
  return { index: index + 1, count };
}

export function parseCompareArgs(argv: readonly string[], env: Record<string, string | undefined> = process.env): CompareArgs {
  let parsed: ParsedArgs;
  try {
    parsed = parseCommandArgs(argv, OPTIONS, { command: 'compare' });
  } catch (err) {
    throw err instanceof UsageError ? new CompareArgsError(err.message) : err;
  }
  const values = new Map([...parsed.options].filter(([name]) => OPTIONS[name] !== 'flag').map(([name, v]) => [`--${name}`, v[0]]));
  const flags = new Set([...parsed.options.keys()].filter((name) => OPTIONS[name] === 'flag').map((name) => `--${name}`));
  const get = (f: string) => values.get(f);

  const priority = (get('--priority') ?? 'accuracy') as Priority;
  if (!PRIORITIES.includes(priority))
    throw new CompareArgsError(`expected --priority to be one of ${PRIORITIES.join(', ')}, but received "${priority}"`);
  const match = get('--match');
  if (match !== undefined && match !== 'params') throw new CompareArgsError(`expected --match to be "params", but received "${match}"`);

  let csv: CompareArgs['csv'] = null;
  if (get('--csv') !== undefined) {
    const target = get('--target');
    if (target === undefined || target === '') throw new CompareArgsError('--csv needs --target COL, the column to forecast');
    csv = {
      file: get('--csv') as string,
      target,
      window: get('--window') === undefined ? 30 : positiveInteger('--window', get('--window') as string, 10000),
    };
  } else {
    for (const f of ['--target', '--window']) if (get(f) !== undefined) throw new CompareArgsError(`${f} only applies with --csv FILE`);
  }
  let text: CompareArgs['text'] = null;
  if (get('--text') !== undefined) {
    const label = get('--label');
    if (label === undefined || label === '') throw new CompareArgsError('--text needs --label COL, the column holding the class');
    text = {
      file: get('--text') as string,
      label,
      maxTokens: get('--max-tokens') === undefined ? null : positiveInteger('--max-tokens', get('--max-tokens') as string, 100000),
    };
  } else {
    for (const f of ['--label', '--max-tokens']) if (get(f) !== undefined) throw new CompareArgsError(`${f} only applies with --text FILE`);
  }

  let tasks: string[];
  if (get('--task') !== undefined) {
    tasks = (get('--task') as string)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (tasks.length === 1 && tasks[0] === 'all') tasks = [...BUILTIN_TASKS];
    const unknown = tasks.filter((t) => !(BUILTIN_TASKS as readonly string[]).includes(t));
    if (tasks.length === 0 || unknown.length > 0)
      throw new CompareArgsError(
        `expected --task to be all or to list tasks among ${BUILTIN_TASKS.join(', ')}, but received "${get('--task')}"`,
      );
    tasks = [...new Set(tasks)];
  } else {
    // With user data and no --task, only the user's data runs.
    tasks = csv || text ? [] : [...DEFAULT_TASKS];
  }
  let cells: ModelCell[] = ['gru', 'lstm'];
  if (get('--cells') !== undefined) {
    const listed = (get('--cells') as string)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const known = listed.every((c) => (MODEL_CELLS as readonly string[]).includes(c));
    if (!known || !listed.includes('gru') || !listed.includes('lstm')) {
      throw new CompareArgsError(
        `expected --cells to be gru,lstm or gru,lstm,rnn (the report compares GRU with LSTM, and each with the RNN), but received "${get('--cells')}"`,
      );
    }
    cells = MODEL_CELLS.filter((c) => listed.includes(c));
  }
  let claims: string[] | null = flags.has('--claims') ? [...CLAIM_IDS] : null;
  if (get('--claim') !== undefined) {
    const list = (get('--claim') as string)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = list.filter((c) => !(CLAIM_IDS as readonly string[]).includes(c));
    if (list.length === 0 || unknown.length > 0)
      throw new CompareArgsError(`expected --claim to list claims among ${CLAIM_IDS.join(', ')}, but received "${get('--claim')}"`);
    claims = CLAIM_IDS.filter((c) => list.includes(c));
  }
  if (claims) {
    // The claims experiments fix their own tasks, seeds and sizes before any run.
    const other = [...values.keys()].filter((f) => !['--claim', '--out'].includes(f));
    if (other.length > 0)
      throw new CompareArgsError(
        `${other[0]} does not apply with --claims (the claims fix their own tasks, seeds and sizes); only --claim, --full, --out and --json do`,
      );
    if (env.JOB_COMPLETION_INDEX !== undefined || env.GATEDRNN_SHARDS !== undefined)
      throw new CompareArgsError(
        '--claims does not run as shards: unset JOB_COMPLETION_INDEX and GATEDRNN_SHARDS, or run the per-task comparison',
      );
  }
  const shard = claims ? null : parseShard(get('--shard'), env);
  const out = get('--out') ?? './gatedrnn-report';
  if (out === '') throw new CompareArgsError('expected --out to be a folder path, but received ""');
  // Refused here, not after the training, when the report could not be written.
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory())
    throw new CompareArgsError(`expected --out to be a folder, but ${out} is a file`);

  return {
    tasks,
    cells,
    seeds: get('--seeds') === undefined ? 3 : positiveInteger('--seeds', get('--seeds') as string, 100),
    epochs: get('--epochs') === undefined ? null : positiveInteger('--epochs', get('--epochs') as string, 100000),
    budgetSeconds: get('--budget-seconds') === undefined ? null : positiveNumber('--budget-seconds', get('--budget-seconds') as string),
    units: get('--units') === undefined ? null : positiveInteger('--units', get('--units') as string, 16384),
    layers: get('--layers') === undefined ? null : positiveInteger('--layers', get('--layers') as string, 64),
    match: match === 'params' ? 'params' : 'units',
    priority,
    out,
    json: flags.has('--json'),
    full: flags.has('--full'),
    csv,
    text,
    help: flags.has('--help'),
    claims,
    shard,
  };
}
