/** A simple-repository page format and the content type it is served with. */
export interface SimpleFormat {
  format: 'json' | 'html';
  contentType: string;
}

// PEP 691 (https://peps.python.org/pep-0691/#version-format-selection): the versioned types, their
// `latest` aliases (answered with the concrete v1 type), and PEP 503's text/html. Listed in the
// order a tie goes: text/html first, so a client with no preference (`*/*`, or no Accept) gets the
// page every old client understands; then JSON, the richer of the two PEP 691 forms.
const OFFERS: ReadonlyArray<{ type: string; aliases: readonly string[]; result: SimpleFormat }> = [
  { type: 'text/html', aliases: [], result: { format: 'html', contentType: 'text/html; charset=utf-8' } },
  {
    type: 'application/vnd.pypi.simple.v1+json',
    aliases: ['application/vnd.pypi.simple.latest+json'],
    result: { format: 'json', contentType: 'application/vnd.pypi.simple.v1+json' },
  },
  {
    type: 'application/vnd.pypi.simple.v1+html',
    aliases: ['application/vnd.pypi.simple.latest+html'],
    result: { format: 'html', contentType: 'application/vnd.pypi.simple.v1+html' },
  },
];

interface AcceptRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const part of header.split(',')) {
    const [media = '', ...params] = part.split(';').map((piece) => piece.trim());
    const [type, subtype] = media.toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((piece) => piece.trim());
      if (key?.toLowerCase() === 'q' && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/**
 * Picks the page format for an `Accept` header (or PEP 691's optional `?format=` parameter, which
 * takes precedence): the offer with the highest q, then the most specific match, then text/html.
 * `undefined` means nothing offered is acceptable: answer 406. No header at all means text/html. Pure.
 */
export function negotiateSimpleFormat(
  accept: string | undefined,
  formatParam?: string | null,
): SimpleFormat | undefined {
  const header = formatParam ? formatParam : accept;
  if (header === undefined || header.trim() === '') return OFFERS[0]!.result;
  const ranges = parseAccept(header);
  let best: { q: number; specificity: number; index: number; result: SimpleFormat } | undefined;
  OFFERS.forEach((offer, index) => {
    let q = -1;
    let specificity = -1;
    for (const range of ranges) {
      const full = `${range.type}/${range.subtype}`;
      const level =
        full === offer.type || offer.aliases.includes(full)
          ? 2
          : range.subtype === '*' && offer.type.startsWith(`${range.type}/`)
            ? 1
            : full === '*/*'
              ? 0
              : -1;
      // The most specific range that matches decides the offer's quality (RFC 9110 §12.5.1).
      if (level > specificity) {
        specificity = level;
        q = range.q;
      }
    }
    if (q <= 0) return;
    if (best === undefined || q > best.q || (q === best.q && specificity > best.specificity)) {
      best = { q, specificity, index, result: offer.result };
    }
  });
  return best?.result;
}
