import { parseArgs } from 'node:util';
import { PackyardError, canonicalErrorCode, toPackyardError } from './errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { chooseProgressFormat, createProgressReporter, type ProgressReporter } from './progress.js';
import { readBuildVersion } from './version.js';

/** One option of a command: its type, the value's placeholder and one line of help. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help (`DIR`); string options only. */
  value?: string;
  description: string;
  /** Other spellings that mean this option (`--root` for `--dir`), shown in help. */
  aliases?: readonly string[];
}

export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** The options that mean the same thing in every app, under the same name. */
export const COMMON_OPTIONS = {
  dir: {
    type: 'string',
    value: 'DIR',
    aliases: ['root'],
    description: 'the workspace or project directory (default: the current directory)',
  },
  dryRun: { type: 'boolean', description: 'show what would be done, and change nothing' },
  jobs: { type: 'string', value: 'N', description: 'how much work runs at once' },
} as const satisfies Record<string, OptionDef>;

/** What a command's handler gets: its parsed command line and the process around it. */
export interface CommandContext {
  app: string;
  command: string;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  io: CliIo;
  /** `--json`: events go to stderr as JSON lines, the result to stdout as one JSON document. */
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** Colour is allowed: a terminal, no `NO_COLOR`, not `--json`. */
  color: boolean;
  /** Log lines and `[n/N]` progress, on stderr (JSON lines with `--json`). */
  progress: ProgressReporter;
  log: {
    info: (message: string) => void;
    warn: (message: string) => void;
    error: (message: string) => void;
    /** Shown with `--verbose` only. */
    debug: (message: string) => void;
  };
  /** A string option's value: undefined when absent; an empty value is a usage error. */
  string: (name: string) => string | undefined;
  /** A string option that must be given. */
  required: (name: string) => string;
}

/** What a command returns: the exit code, the result (the `--json` document) and its text form. */
export interface CommandOutcome {
  exitCode?: number;
  /** The result as data: printed as one JSON document on stdout with `--json`. */
  result?: unknown;
  /** The result as text for people, printed on stdout without `--json`. */
  text?: string;
  /** The closing line on stderr: what was done and where the outputs are (not with `--quiet`). */
  summary?: string;
}

export interface CommandDef {
  /** One line for the command list. */
  summary: string;
  /** The positional arguments in the usage line (`NAME`, `FILE...`). */
  args?: string;
  /** `false` (default): none; `true`: any number; a count: exactly that many (`missing` names them). */
  positionals?: boolean | { count: number; missing: string };
  options?: OptionDefs;
  /** More help, printed after the options. */
  details?: string;
  run: (context: CommandContext) => Promise<CommandOutcome | number>;
}

export interface CliApp {
  name: string;
  /** The app's package.json (path or URL): `--version` reads its version and commit. */
  packageJson: string | URL;
  /** One paragraph under the usage line of the main help. */
  description: string;
  commands: Readonly<Record<string, CommandDef>>;
  /** The command run when the first argument is an option (`nx-cache-server --store DIR`). */
  defaultCommand?: string;
  /** The exit codes this app uses beyond ok, usage and internal, with what they mean here. */
  exitCodes: ReadonlyArray<readonly [number, string]>;
  /** More help after the commands (environment variables, notes). */
  footer?: string;
}

/** The process around the CLI: its streams, directory and environment, which tests replace. */
export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: Record<string, string | undefined>;
  /** Whether stderr is a terminal (live progress line, colour) and its width. */
  isTTY?: boolean;
  columns?: number;
}

const GLOBAL_OPTIONS: OptionDefs = {
  json: {
    type: 'boolean',
    description: 'events on stderr as JSON lines; the result (or the error) as one JSON document on stdout',
  },
  quiet: { type: 'boolean', short: 'q', description: 'only warnings, errors and the result' },
  verbose: { type: 'boolean', short: 'v', description: 'more detail on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** A bad command line: exit code `usage` (2), with a hint. */
export function usageError(message: string, hint?: string): PackyardError {
  return new PackyardError('USAGE', message, hint === undefined ? {} : { hint });
}

/** Edit distance between two strings (optimal string alignment: a swap of neighbours is one edit). Pure. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a third of the word's length (at least 1, at most 3), if any. Pure. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const name of [...candidates].sort()) {
    const distance = editDistance(word, name);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function optionLabel(name: string, def: OptionDef): string {
  const short = def.short === undefined ? '' : `-${def.short}, `;
  const value = def.type === 'string' ? ` ${def.value ?? 'VALUE'}` : '';
  return `${short}--${name}${value}`;
}

function renderOptions(options: OptionDefs): string[] {
  const entries = Object.entries(options);
  const labels = entries.map(([name, def]) => optionLabel(name, def));
  const width = Math.max(...labels.map((label) => label.length), 20) + 2;
  return entries.map(([, def], i) => {
    const also = def.aliases?.length ? ` (also --${def.aliases.join(', --')})` : '';
    return `  ${labels[i]!.padEnd(width)} ${def.description}${also}`;
  });
}

function renderExitCodes(app: CliApp): string[] {
  const codes = new Map<number, string>([
    [EXIT.ok, 'done'],
    [EXIT.usage, 'bad command line'],
    ...app.exitCodes,
    [EXIT.internal, 'internal error'],
  ]);
  return [...codes].sort(([a], [b]) => a - b).map(([code, text]) => `  ${String(code).padEnd(3)} ${text}`);
}

/** The main help: usage, description, commands, global options, exit codes. Pure. */
export function renderAppHelp(app: CliApp): string {
  const names = Object.keys(app.commands);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    `usage: ${app.name} <command> [options]`,
    '',
    app.description,
    '',
    'Commands:',
    ...names.map((name) => `  ${name.padEnd(width)} ${app.commands[name]!.summary}`),
    '',
    'Options of every command:',
    ...renderOptions({
      ...GLOBAL_OPTIONS,
      version: { type: 'boolean', description: 'print the version and the commit it was built from' },
    }),
    '',
    `Run '${app.name} <command> --help' for a command's options.`,
    ...(app.footer === undefined ? [] : ['', app.footer]),
    '',
    'Exit codes (the same in every packyard app; docs/exit-codes.md):',
    ...renderExitCodes(app),
  ].join('\n');
}

/** One command's help: its usage line, summary, options and details only. Pure. */
export function renderCommandHelp(app: CliApp, name: string): string {
  const command = app.commands[name]!;
  const args = command.args === undefined ? '' : ` ${command.args}`;
  return [
    `usage: ${app.name} ${name}${args} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...renderOptions({ ...command.options, ...GLOBAL_OPTIONS }),
    ...(command.details === undefined ? [] : ['', command.details]),
  ].join('\n');
}

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parseCommand(app: CliApp, name: string, command: CommandDef, args: readonly string[]): Parsed {
  const defs: OptionDefs = { ...command.options, ...GLOBAL_OPTIONS };
  const aliasOf = new Map<string, string>();
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [option, def] of Object.entries(defs)) {
    options[option] = { type: def.type, ...(def.short === undefined ? {} : { short: def.short }) };
    for (const alias of def.aliases ?? []) {
      options[alias] = { type: def.type };
      aliasOf.set(alias, option);
    }
  }
  const counted = typeof command.positionals === 'object' ? command.positionals : undefined;
  let result;
  try {
    result = parseArgs({
      args: [...args],
      options,
      allowPositionals: command.positionals === true || counted !== undefined,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    const help = `run '${app.name} ${name} --help' for its options`;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'(-{1,2}[^'=]+)/.exec(message)?.[1] ?? '';
      const guess = closestMatch(given.replace(/^-+/, ''), Object.keys(options));
      throw usageError(
        `${name}: unknown option ${given}`,
        guess === undefined ? help : `did you mean --${guess}?`,
      );
    }
    throw usageError(`${name}: ${message}`, help);
  }
  const values: Parsed['values'] = {};
  const seen = new Map<string, string>();
  for (const token of result.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const option = aliasOf.get(token.name) ?? token.name;
    const value = token.value ?? true;
    const first = seen.get(option);
    if (first !== undefined) {
      throw usageError(
        `${name}: --${option} was given more than once: first ${JSON.stringify(first)}, then ${JSON.stringify(String(value))}`,
      );
    }
    seen.set(option, String(value));
    values[option] = value;
  }
  if (counted !== undefined && values['help'] !== true) {
    if (result.positionals.length > counted.count) {
      throw usageError(`${name}: unexpected argument ${JSON.stringify(result.positionals[counted.count])}`);
    }
    if (result.positionals.length < counted.count) {
      throw usageError(`${name} needs ${counted.missing}`, `run '${app.name} ${name} --help'`);
    }
  }
  return { values, positionals: result.positionals };
}

const GLOBAL_FLAGS = new Set(['--json', '--quiet', '-q', '--verbose', '-v']);

/** The error as the user reads it: `<app>: error[CODE]: where: message` and its hint. Pure. */
export function renderError(app: string, error: PackyardError): string {
  const where = [error.file, error.field].filter(
    (part): part is string => part !== undefined && part !== '' && !error.message.includes(part),
  );
  const text = `${app}: error[${canonicalErrorCode(error.code)}]: ${[...where, error.message].join(': ')}`;
  return error.hint ? `${text}\n  hint: ${error.hint}\n` : `${text}\n`;
}

/** The `--json` error document. Pure. */
export function renderErrorDocument(error: PackyardError, exitCode: number): string {
  const { file, field, value, hint } = error;
  return `${JSON.stringify({
    error: { code: canonicalErrorCode(error.code), message: error.message, file, field, value, hint },
    exitCode,
  })}\n`;
}

/**
 * packyard's one command-line frame: finds the command (own properties only), parses its options
 * strictly, answers `--help`, `<command> --help` and `--version`, suggests the nearest command or
 * option on a typo, runs the handler, prints its result (text, or one JSON document with `--json`)
 * and a closing summary, and maps any error to the one exit-code table. Never calls process.exit.
 */
export async function runCli(app: CliApp, argv: readonly string[], io: CliIo): Promise<number> {
  const leading: string[] = [];
  let at = 0;
  while (at < argv.length && GLOBAL_FLAGS.has(argv[at]!)) leading.push(argv[at++]!);
  const first = argv[at];
  const json = argv.includes('--json');
  const fail = (error: PackyardError): number => {
    const code = exitCodeFor(error);
    if (json) io.stdout(renderErrorDocument(error, code));
    else io.stderr(renderError(app.name, error));
    return code;
  };
  if (first === undefined) {
    io.stderr(`${renderAppHelp(app)}\n`);
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h') {
    io.stdout(`${renderAppHelp(app)}\n`);
    return EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    const { version, commit } = readBuildVersion(app.packageJson);
    io.stdout(
      json
        ? `${JSON.stringify({ name: app.name, version, commit })}\n`
        : `${app.name} ${version} (${commit})\n`,
    );
    return EXIT.ok;
  }
  let name = first;
  let rest = [...leading, ...argv.slice(at + 1)];
  if (first === 'help') {
    const topic = argv[at + 1];
    if (topic === undefined) {
      io.stdout(`${renderAppHelp(app)}\n`);
      return EXIT.ok;
    }
    name = topic;
    rest = ['--help'];
  } else if (first.startsWith('-') && app.defaultCommand !== undefined) {
    name = app.defaultCommand;
    rest = [...leading, ...argv.slice(at)];
  }
  if (!Object.hasOwn(app.commands, name)) {
    const guess = name.startsWith('-') ? undefined : closestMatch(name, Object.keys(app.commands));
    return fail(
      usageError(
        name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`,
        guess === undefined
          ? `run '${app.name} --help' for the commands`
          : `did you mean '${app.name} ${guess}'?`,
      ),
    );
  }
  const command = app.commands[name]!;
  let parsed: Parsed;
  try {
    parsed = parseCommand(app, name, command, rest);
  } catch (error) {
    return fail(toPackyardError(error));
  }
  if (parsed.values['help'] === true) {
    io.stdout(`${renderCommandHelp(app, name)}\n`);
    return EXIT.ok;
  }
  const env = io.env ?? process.env;
  const quiet = parsed.values['quiet'] === true;
  const verbose = parsed.values['verbose'] === true;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const progress = createProgressReporter({
    format: chooseProgressFormat({ json, isTTY: io.isTTY === true, env }),
    write: io.stderr,
    columns: () => io.columns,
  });
  const context: CommandContext = {
    app: app.name,
    command: name,
    values: parsed.values,
    positionals: parsed.positionals,
    cwd: io.cwd,
    env,
    io,
    json,
    quiet,
    verbose,
    color: io.isTTY === true && !noColor && !json,
    progress,
    log: {
      info: (message) => (quiet ? undefined : progress.log('info', message)),
      warn: (message) => progress.log('warn', message),
      error: (message) => progress.log('error', message),
      debug: (message) => (verbose ? progress.log('info', message) : undefined),
    },
    string: (option) => {
      const value = parsed.values[option];
      if (value === '') throw usageError(`${name}: --${option} is empty`);
      return typeof value === 'string' ? value : undefined;
    },
    required: (option) => {
      const value = context.string(option);
      if (value === undefined)
        throw usageError(`${name}: --${option} is required`, `run '${app.name} ${name} --help'`);
      return value;
    },
  };
  try {
    const returned = await command.run(context);
    const outcome: CommandOutcome = typeof returned === 'number' ? { exitCode: returned } : returned;
    if (json && outcome.result !== undefined) io.stdout(`${JSON.stringify(outcome.result)}\n`);
    else if (!json && outcome.text !== undefined && outcome.text !== '')
      io.stdout(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
    if (outcome.summary !== undefined && !quiet) {
      io.stderr(
        json
          ? `${JSON.stringify({ type: 'summary', command: name, message: outcome.summary })}\n`
          : `${app.name} ${name}: ${outcome.summary}\n`,
      );
    }
    return outcome.exitCode ?? EXIT.ok;
  } catch (error) {
    return fail(toPackyardError(error));
  }
}

/** The real process as a CliIo, plus what long-running commands need from it. */
export interface ProcessIo extends CliIo {
  env: Record<string, string | undefined>;
  /** Aborted on the first SIGINT or SIGTERM; the handlers are installed on first call only. */
  stopSignal: () => AbortSignal;
  /** All of standard input, as text. */
  readStdin: () => Promise<string>;
}

/** The running process's streams, directory, environment, terminal, signals and stdin. */
export function processIo(): ProcessIo {
  let controller: AbortController | undefined;
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
    stopSignal: () => {
      if (controller !== undefined) return controller.signal;
      const stopping = new AbortController();
      controller = stopping;
      // `on`, not `once`: signal-exit (loaded with some writers) re-raises a signal when only its own
      // listeners are left, which would kill the process before a server has closed.
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        stopping.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      return stopping.signal;
    },
    readStdin: async () => {
      let text = '';
      for await (const chunk of process.stdin) text += String(chunk);
      return text;
    },
  };
}

/** Resolves when `signal` is aborted (never, without a signal). */
export function whenAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
