// ONNX activation functions by name, and the spec's rule for consuming activation_alpha and
// activation_beta: each function takes the next value of the lists it uses, in order.
import { rangeError, typeError } from '../errors';

interface ActivationInfo {
  code: number; // ActKind in native/common/spec.h
  name: string;
  alpha?: number; // default when the lists run out; absent: the function takes no alpha
  beta?: number;
}

// Defaults are those of the standalone ONNX operators of the same name. (onnxruntime uses 0 for
// Affine, ThresholdedRelu and ScaledTanh instead: pass explicit values to match it.)
const TABLE: ActivationInfo[] = [
  { code: 0, name: 'Relu' },
  { code: 1, name: 'Tanh' },
  { code: 2, name: 'Sigmoid' },
  { code: 3, name: 'Affine', alpha: 1, beta: 0 },
  { code: 4, name: 'LeakyRelu', alpha: 0.01 },
  { code: 5, name: 'ThresholdedRelu', alpha: 1 },
  { code: 6, name: 'ScaledTanh', alpha: 1, beta: 1 },
  { code: 7, name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  { code: 8, name: 'Elu', alpha: 1 },
  { code: 9, name: 'Softsign' },
  { code: 10, name: 'Softplus' },
];
const BY_NAME = new Map(TABLE.map((a) => [a.name.toLowerCase(), a]));

export const ACTIVATION_NAMES = TABLE.map((a) => a.name);

/**
 * Resolves the activation list of an operator into [code, alpha, beta] triples for every direction.
 * `defaults` is the cell's per-direction list (e.g. ['Sigmoid', 'Tanh'] for GRU). A list of
 * defaults.length names is used for every direction; bidirectional ops may give 2x that.
 */
export function resolveActivations(
  where: string,
  names: readonly string[] | undefined,
  alphas: readonly number[] | undefined,
  betas: readonly number[] | undefined,
  defaults: readonly string[],
  numDirections: number,
): number[] {
  const perDir = defaults.length;
  let list: readonly string[] = names ?? defaults;
  if (!Array.isArray(list) || !list.every((n) => typeof n === 'string')) {
    throw typeError(where, 'activations', 'an array of activation names', list);
  }
  if (list.length === perDir && numDirections === 2) list = [...list, ...list];
  if (list.length !== perDir * numDirections) {
    throw rangeError(
      where,
      'activations.length',
      numDirections === 2 ? `${perDir} or ${2 * perDir} (${defaults.join(', ')} per direction)` : `${perDir} (${defaults.join(', ')})`,
      String(list.length),
    );
  }
  for (const [arg, values] of [
    ['activationAlpha', alphas],
    ['activationBeta', betas],
  ] as const) {
    if (values !== undefined && (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
      throw typeError(where, arg, 'an array of finite numbers', values);
    }
  }
  let ai = 0;
  let bi = 0;
  const out: number[] = [];
  for (const name of list) {
    const info = BY_NAME.get(name.toLowerCase());
    if (!info) {
      throw rangeError(where, 'each activation', `one of ${ACTIVATION_NAMES.join(', ')}`, `"${name}"`);
    }
    const alpha = info.alpha === undefined ? 0 : alphas && ai < alphas.length ? alphas[ai++] : info.alpha;
    const beta = info.beta === undefined ? 0 : betas && bi < betas.length ? betas[bi++] : info.beta;
    out.push(info.code, alpha, beta);
  }
  return out;
}

/** The inverse of resolveActivations: ONNX attribute values from [code, alpha, beta] triples. */
export function activationAttributes(acts: readonly number[]): {
  activations: string[];
  activationAlpha: number[];
  activationBeta: number[];
} {
  const out = { activations: [] as string[], activationAlpha: [] as number[], activationBeta: [] as number[] };
  for (let k = 0; k < acts.length; k += 3) {
    const info = TABLE.find((a) => a.code === acts[k])!;
    out.activations.push(info.name);
    if (info.alpha !== undefined) out.activationAlpha.push(acts[k + 1]);
    if (info.beta !== undefined) out.activationBeta.push(acts[k + 2]);
  }
  return out;
}
