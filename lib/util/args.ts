// The command line's one argument parser: node:util's parseArgs reads the tokens, and one set of
// rules applies to every command. Options are long (`--name value` or `--name=value`); a flag
// takes no value (giving it twice changes nothing); a valued option given twice is refused
// unless it is a list (then every value is kept, in order); a value may not start with `--` unless given as `--name=--value`; and an
// unknown option, a missing value or a stray positional argument is a UsageError (exit code 2).
import { parseArgs as tokenize } from 'node:util';

/** 'string': one value; 'list': repeatable, every value kept; 'flag': no value. */
export type OptionKind = 'string' | 'list' | 'flag';

/** A bad command-line argument. Arguments are strings, so a wrong one is out of range: a RangeError. */
export class UsageError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  /** The values of each option given, in order (a flag's value is 'true'). */
  options: Map<string, string[]>;
  positionals: string[];
}

export interface ParseOptions {
  /** Whether arguments that are not options are allowed (default false). */
  positionals?: boolean;
  /**
   * The command, for the hint an unknown option gets ('run gatedrnn <command> --help for the
   * options'); without it the message names the option alone (callers that print the usage after).
   */
  command?: string;
}

/** Parses `argv` against `specs` (option name without dashes -> kind) by the rules above. */
export function parseCommandArgs(
  argv: readonly string[],
  specs: Readonly<Record<string, OptionKind>>,
  parse: ParseOptions = {},
): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; multiple: true }> = {};
  for (const [name, kind] of Object.entries(specs)) config[name] = { type: kind === 'flag' ? 'boolean' : 'string', multiple: true };
  const { tokens } = tokenize({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!parse.positionals)
        throw new UsageError(
          `expected only options${parse.command ? ` (run gatedrnn ${parse.command} --help for them)` : ''}, but received "${token.value}"`,
        );
      positionals.push(token.value);
      continue;
    }
    const kind = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (kind === undefined) {
      throw new UsageError(
        parse.command
          ? `unknown option "${argv[token.index]}"; run gatedrnn ${parse.command} --help for the options`
          : `unknown option ${token.rawName}`,
      );
    }
    let value: string;
    if (kind === 'flag') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, but received "${token.value}"`);
      value = 'true';
    } else {
      if (token.value === undefined) throw new UsageError(`expected a value after ${token.rawName}, but received nothing`);
      if (!token.inlineValue && token.value.startsWith('--'))
        throw new UsageError(`expected a value after ${token.rawName}, but received "${token.value}"`);
      value = token.value;
    }
    const before = options.get(token.name);
    if (kind === 'flag' && before) continue;
    if (before && kind === 'string') throw new UsageError(`${token.rawName} was given twice ("${before[0]}" and "${value}")`);
    options.set(token.name, [...(before ?? []), value]);
  }
  return { options, positionals };
}
