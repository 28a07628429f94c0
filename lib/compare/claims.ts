// `gatedrnn compare --claims`: the usual GRU-vs-LSTM advice as experiments with verdicts. Each
// claim has its experiment, a measure, the direction the claim predicts and a practical margin,
// all fixed before any run (claims-plan.ts); the numbers come from tasks/claims, the rows and
// their verdicts from claims-rows.ts. This module runs the jobs and assembles the results.
import * as os from 'node:os';
import type { ClaimJob, ClaimJobResult } from './claims-jobs';
import { type ClaimsPlan, claimsPlan, planJobs } from './claims-plan';
import { runJobs } from './claims-pool';
import { type ClaimRow, type ClaimsRaw, claimRows, collectRaw, judge } from './claims-rows';
import { machineInfo } from './machine';
import { CLAIM_IDS, type ClaimId, type MachineInfo } from './results';

export { CLAIM_IDS };
export type { ClaimId };
export { type ClaimsPlan, claimsPlan, type PlannedJobs, planJobs } from './claims-plan';
export {
  type ClaimRow,
  type ClaimsRaw,
  type ClaimVerdict,
  claimRows,
  collectRaw,
  commandFor,
  judge,
  lagAtHalf,
} from './claims-rows';

/** The claims as the usual guides state them. */
export const CLAIM_STATEMENTS: Record<ClaimId, string> = {
  speed: 'GRU is simpler: it trains faster and needs less computation and memory',
  memory: 'LSTM captures long-term dependencies better (and, in the same guides, GRU models long sequences well)',
  expressive: "LSTM's three gates learn more complex dependencies (an LSTM can count, a GRU cannot)",
  'small-data': 'LSTM overfits more easily; GRU does better on small data',
  budget: 'under a fixed compute budget GRU reaches a given quality sooner',
  tasks: 'text classification → GRU, translation → LSTM, stock prediction → LSTM, weather → GRU',
};

export interface ClaimsOptions {
  /** Claims to run (default all). */
  claims?: readonly ClaimId[];
  full?: boolean;
  /** Jobs side by side, each on one thread (default 2 on a machine with 2 or more CPUs). */
  parallel?: number;
  /** Run every job in this process, one after another (tests; the default uses child processes). */
  inProcess?: boolean;
  events?: {
    onJobStart?(info: { job: ClaimJob; index: number; total: number }): void;
    onJobEnd?(info: { job: ClaimJob; index: number; total: number }): void;
  };
  machine?: MachineInfo;
  now?: () => Date;
}

export interface ClaimsResults {
  version: 1;
  kind: 'claims';
  createdAt: string;
  machine: MachineInfo;
  settings: { full: boolean; parallel: number; claims: ClaimId[]; loadAverage: number[] };
  wallSeconds: number;
  /** Seconds the jobs of each kind took, summed over jobs (side-by-side jobs overlap in wall time). */
  jobSeconds: Record<string, number>;
  plan: ClaimsPlan;
  rows: ClaimRow[];
  raw: ClaimsRaw;
}

/** Runs the claims experiments and returns the verdict rows and every raw per-seed value. */
export async function runClaims(options: ClaimsOptions = {}): Promise<ClaimsResults> {
  const claims = [...(options.claims ?? CLAIM_IDS)];
  for (const c of claims)
    if (!(CLAIM_IDS as readonly string[]).includes(c))
      throw new RangeError(`runClaims: expected claims among ${CLAIM_IDS.join(', ')}, but received "${c}"`);
  const full = options.full ?? false;
  const parallel = options.parallel ?? Math.min(2, Math.max(1, os.cpus().length));
  if (!(Number.isSafeInteger(parallel) && parallel >= 1))
    throw new RangeError(`runClaims: expected parallel to be a positive integer, but received ${parallel}`);
  const plan = claimsPlan(full);
  const start = performance.now();
  const planned = planJobs(plan, claims);
  const results: ClaimJobResult[] = new Array(planned.jobs.length);
  const total = planned.jobs.length;
  const started = new Map<number, number>();
  const jobSeconds: Record<string, number> = {};
  for (const phase of [...new Set(planned.phases)].sort()) {
    const index = planned.phases.map((p, i) => (p === phase ? i : -1)).filter((i) => i >= 0);
    // Timing runs alone, so no other job shares the cores with it.
    const width = planned.jobs[index[0]].kind === 'speed' ? 1 : parallel;
    const out = await runJobs(
      index.map((i) => planned.jobs[i]),
      width,
      {
        onJobStart: (job, k) => {
          started.set(index[k], performance.now());
          options.events?.onJobStart?.({ job, index: index[k], total });
        },
        onJobEnd: (job, k) => {
          jobSeconds[job.kind] = (jobSeconds[job.kind] ?? 0) + (performance.now() - started.get(index[k])!) / 1000;
          options.events?.onJobEnd?.({ job, index: index[k], total });
        },
      },
      options.inProcess,
    );
    out.forEach((r, k) => (results[index[k]] = r));
  }
  const raw = collectRaw(planned, results);
  const rows = judge(claimRows(plan, raw));
  return {
    version: 1,
    kind: 'claims',
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    machine: options.machine ?? machineInfo(),
    settings: { full, parallel, claims, loadAverage: os.loadavg() },
    wallSeconds: (performance.now() - start) / 1000,
    jobSeconds,
    plan,
    rows,
    raw,
  };
}
