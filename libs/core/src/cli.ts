import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The options one command accepts, in `node:util` parseArgs form. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** A bad command line: the message to print and the documented exit code it maps to. */
export class UsageError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit codes an app documents for each kind of bad command line. */
export interface UsageExitCodes {
  /** An option given twice, or without (or with a bad) value. */
  badValue: number;
  unknownOption: number;
  unexpectedArgument: number;
  /** A required argument is missing. */
  missingOption: number;
}

/** One command's command line: its options, its positional arguments and the aliases it accepts. */
export interface CommandSpec {
  options: CommandOptions;
  /**
   * `false` (the default): none; `true`: any number; a count: exactly that many, with `missing`
   * naming what is needed (`a NAME`). The count is not enforced when `--help` is given.
   */
  positionals?: boolean | { count: number; missing: string };
  /** Other spellings of an option (`source-org` → `owner`); each must also be in `options`. */
  aliases?: Readonly<Record<string, string>>;
}

/** A parsed command line: values keyed by the option's own name (aliases folded in), and positionals. */
export interface ParsedCommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses one command's arguments strictly (`-h`/`--help` always accepted): unknown options, missing
 * values, unexpected or missing positionals, and an option given twice (an alias counts as its
 * option) are UsageErrors with the app's exit code for each.
 */
export function parseCommandLine(
  command: string,
  spec: CommandSpec,
  args: readonly string[],
  exits: UsageExitCodes,
): ParsedCommandLine {
  const counted = typeof spec.positionals === 'object' ? spec.positionals : undefined;
  let result;
  try {
    result = parseArgs({
      args: [...args],
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: spec.positionals === true || counted !== undefined,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(exits.unknownOption, message);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(exits.unexpectedArgument, message);
    throw new UsageError(exits.badValue, message);
  }
  const aliases = spec.aliases ?? {};
  const values: ParsedCommandLine['values'] = {};
  const seen = new Map<string, string>();
  for (const token of result.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const name = aliases[token.name] ?? token.name;
    const value = token.value ?? true;
    const first = seen.get(name);
    if (first !== undefined) {
      throw new UsageError(
        exits.badValue,
        `--${name} was given more than once: first ${JSON.stringify(first)}, then ${JSON.stringify(String(value))}`,
      );
    }
    seen.set(name, String(value));
    values[name] = value;
  }
  if (counted !== undefined && values['help'] !== true) {
    if (result.positionals.length > counted.count) {
      throw new UsageError(
        exits.unexpectedArgument,
        `unexpected argument ${JSON.stringify(result.positionals[counted.count])}`,
      );
    }
    if (result.positionals.length < counted.count)
      throw new UsageError(exits.missingOption, `${command} needs ${counted.missing}`);
  }
  return { values, positionals: result.positionals };
}
