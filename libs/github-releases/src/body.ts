import { parse, stringify } from 'yaml';

/**
 * Release bodies carry a fenced ```yaml block of build metadata (the seed's "Release Info"). The block
 * is a cache of what the release holds: readers tolerate it being missing or garbled.
 */
const BLOCK = /```ya?ml[^\n]*\n([\s\S]*?)\n?```/;

export interface BodyBlock<T> {
  data: T | undefined;
  /** Set when a block was present but could not be read. */
  warning: string | undefined;
}

/** Reads the first ```yaml block of a release body. A missing block is "no info"; a garbled one warns. */
export function parseBodyBlock<T = Record<string, unknown>>(body: string | null | undefined): BodyBlock<T> {
  const match = BLOCK.exec(body ?? '');
  if (!match) return { data: undefined, warning: undefined };
  try {
    const data: unknown = parse(match[1] ?? '');
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      return { data: undefined, warning: 'the yaml block in the release body is not a mapping' };
    }
    return { data: data as T, warning: undefined };
  } catch (error) {
    return {
      data: undefined,
      warning: `the yaml block in the release body is not valid YAML: ${(error as Error).message}`,
    };
  }
}

/**
 * Writes `data` as the body's yaml block: replaces an existing block, keeps any text around it, and
 * appends a block when there was none. Keys are written in the order given; strings that YAML would
 * read as numbers (python '3.10') stay quoted.
 */
export function renderBodyBlock(body: string | null | undefined, data: Record<string, unknown>): string {
  const block = '```yaml\n' + stringify(data, { lineWidth: 0 }).trimEnd() + '\n```';
  const current = body ?? '';
  if (BLOCK.test(current)) return current.replace(BLOCK, () => block);
  return current.trim() === '' ? `${block}\n` : `${current.trimEnd()}\n\n${block}\n`;
}
