// Escaping for the body of a quoted string that two dialects must read the same way:
// - Hermit reads manifests with github.com/alecthomas/hcl, whose strings are Go-quoted strings
//   (strconv.Unquote): `\"`, `\\`, `\n`, `\r`, `\t`, `\uNNNN`, and no template syntax, so `$${` would
//   stay doubled there;
// - packyard parses them back with HashiCorp HCL (hclsyntax, through @cdktf/hcl2json), where `${` and
//   `%{` open an interpolation or a directive
//   (https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md#template-expressions).
// A literal `${` / `%{` is written `\u0024{` / `\u0025{`: both decode the escape to `$` / `%`, and
// hclsyntax tokenises templates before decoding escapes, so no interpolation opens.

/** Hermit variables that `source` keeps as live interpolations; every other `${` is literal text. */
export const LIVE_SOURCE_VARIABLES = ['version', 'os', 'arch'] as const;

const LIVE_VARIABLE_SPLIT = /(\$\{(?:version|os|arch)\})/;

/** The body of a quoted HCL string whose value is exactly `value` (no interpolation survives). */
export function escapeHclString(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    const code = value.charCodeAt(i);
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // Only an introducer followed by `{` needs it: a lone `$` or `%` is literal in both dialects.
    else if ((ch === '$' || ch === '%') && value.charAt(i + 1) === '{')
      out += ch === '$' ? '\\u0024' : '\\u0025';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * Like {@link escapeHclString}, but `${version}`, `${os}` and `${arch}` (and only those) stay live
 * interpolations for Hermit to expand; any other `${…}` or `%{…}` is escaped to literal text.
 */
export function escapeHclTemplateString(value: string): string {
  const parts = value.split(LIVE_VARIABLE_SPLIT);
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i % 2 === 1) {
      out += part;
      continue;
    }
    // `$` right before a live `${` would read as hclsyntax's `$${` escape; `\u0024` is the same
    // character but is decoded after the template is tokenised, so the interpolation stays live.
    const beforeLive = i + 1 < parts.length && part.endsWith('$');
    out += beforeLive ? `${escapeHclString(part.slice(0, -1))}\\u0024` : escapeHclString(part);
  }
  return out;
}

/** A string as hcl2json returns it: literal text with `${`/`%{` escaped, plus any live sequences. */
export interface DecodedTemplate {
  /** The value with escapes resolved; live sequences are kept as written (`${version}`). */
  text: string;
  /** Source of each live `${…}` / `%{…}` sequence, in order. */
  live: string[];
  /** True when an escaped `$${` spelled a literal `${version}`, `${os}` or `${arch}`. */
  escapedLiveVariable: boolean;
}

/**
 * Decodes a string from @cdktf/hcl2json, which emits Terraform JSON-syntax templates: literal `${`
 * and `%{` come back doubled, live sequences come back as `${expr}` / `%{…}`.
 */
export function decodeHclJsonTemplate(value: string): DecodedTemplate {
  let text = '';
  const live: string[] = [];
  let escapedLiveVariable = false;
  let i = 0;
  while (i < value.length) {
    const ch = value.charAt(i);
    if ((ch === '$' || ch === '%') && value.charAt(i + 1) === ch && value.charAt(i + 2) === '{') {
      if (ch === '$' && LIVE_SOURCE_VARIABLES.some((name) => value.startsWith(`${name}}`, i + 3))) {
        escapedLiveVariable = true;
      }
      text += `${ch}{`;
      i += 3;
    } else if ((ch === '$' || ch === '%') && value.charAt(i + 1) === '{') {
      const end = closingBrace(value, i + 2);
      const sequence = value.slice(i, end + 1);
      live.push(sequence);
      text += sequence;
      i = end + 1;
    } else {
      text += ch;
      i += 1;
    }
  }
  return { text, live, escapedLiveVariable };
}

function closingBrace(value: string, from: number): number {
  let depth = 1;
  for (let i = from; i < value.length; i++) {
    if (value.charAt(i) === '{') depth += 1;
    else if (value.charAt(i) === '}' && --depth === 0) return i;
  }
  return value.length - 1;
}
