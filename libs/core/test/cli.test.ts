import { parseCommandLine, UsageError, type CommandSpec } from '../src/index.js';

const EXITS = { badValue: 2, unknownOption: 3, unexpectedArgument: 4, missingOption: 5 };

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

const SOURCE: CommandSpec = {
  options: {
    owner: { type: 'string' },
    'source-org': { type: 'string' },
    replace: { type: 'boolean' },
  },
  aliases: { 'source-org': 'owner' },
};

describe('parseCommandLine', () => {
  it('returns values by option name, with aliases folded into their option', () => {
    expect(parseCommandLine('update', SOURCE, ['--source-org', 'acme', '--replace'], EXITS)).toEqual({
      values: { owner: 'acme', replace: true },
      positionals: [],
    });
  });

  it('refuses an option given twice, an alias counting as its option, naming both values', () => {
    const error = usageError(() =>
      parseCommandLine('update', SOURCE, ['--owner', 'a', '--source-org', 'b'], EXITS),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('--owner was given more than once: first "a", then "b"');
  });

  it('maps unknown options, missing values and stray arguments to their exit codes', () => {
    expect(usageError(() => parseCommandLine('update', SOURCE, ['--nope'], EXITS)).exitCode).toBe(3);
    expect(usageError(() => parseCommandLine('update', SOURCE, ['--owner'], EXITS)).exitCode).toBe(2);
    const stray = usageError(() => parseCommandLine('update', SOURCE, ['stray'], EXITS));
    expect(stray.exitCode).toBe(4);
    expect(stray.message).toContain("Unexpected argument 'stray'");
  });

  it('accepts -h and --help with every command', () => {
    expect(parseCommandLine('update', SOURCE, ['-h'], EXITS).values).toEqual({ help: true });
  });

  it('counts positionals when the command takes a fixed number, except with --help', () => {
    const spec: CommandSpec = { options: {}, positionals: { count: 1, missing: 'a NAME' } };
    expect(parseCommandLine('find', spec, ['x'], EXITS).positionals).toEqual(['x']);
    const missing = usageError(() => parseCommandLine('find', spec, [], EXITS));
    expect([missing.exitCode, missing.message]).toEqual([5, 'find needs a NAME']);
    const extra = usageError(() => parseCommandLine('find', spec, ['x', 'y'], EXITS));
    expect([extra.exitCode, extra.message]).toEqual([4, 'unexpected argument "y"']);
    expect(parseCommandLine('find', spec, ['--help'], EXITS).positionals).toEqual([]);
  });

  it('takes any number of positionals when asked to', () => {
    const spec: CommandSpec = { options: {}, positionals: true };
    expect(parseCommandLine('add', spec, ['a', 'b', 'c'], EXITS).positionals).toEqual(['a', 'b', 'c']);
  });
});
