/** A page of a listing, as GitHub computes it from `per_page` and `page`. */
export interface PagePlan {
  page: number;
  perPage: number;
  lastPage: number;
  start: number;
  end: number;
}

// https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api: default 30, at most 100.
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;

/** Reads `per_page` and `page` the way GitHub does: bad values fall back, `per_page` is capped at 100. */
export function parsePaging(query: URLSearchParams): { page: number; perPage: number } {
  const perPageRaw = Number.parseInt(query.get('per_page') ?? '', 10);
  const pageRaw = Number.parseInt(query.get('page') ?? '', 10);
  const perPage =
    Number.isNaN(perPageRaw) || perPageRaw < 1 ? DEFAULT_PER_PAGE : Math.min(perPageRaw, MAX_PER_PAGE);
  const page = Number.isNaN(pageRaw) || pageRaw < 1 ? 1 : pageRaw;
  return { page, perPage };
}

/** Which slice of `total` items a page holds; a page past the end is empty. */
export function planPage(total: number, page: number, perPage: number): PagePlan {
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const start = Math.min((page - 1) * perPage, total);
  return { page, perPage, lastPage, start, end: Math.min(start + perPage, total) };
}

/**
 * The `Link` header GitHub sends: rels in the order prev, next, last, first, each URL keeping the request's
 * own query parameters with `page` moved to the end (as recorded in @octokit/fixtures `paginate-issues`).
 * Undefined when everything fits on one page.
 */
export function renderLinkHeader(
  baseUrl: string,
  query: URLSearchParams,
  plan: PagePlan,
): string | undefined {
  if (plan.lastPage === 1 && plan.page === 1) return undefined;
  const urlFor = (page: number): string => {
    const params = new URLSearchParams(query);
    params.delete('page');
    params.append('page', String(page));
    return `${baseUrl}?${params.toString()}`;
  };
  const links: string[] = [];
  if (plan.page > 1) links.push(`<${urlFor(plan.page - 1)}>; rel="prev"`);
  if (plan.page < plan.lastPage) {
    links.push(`<${urlFor(plan.page + 1)}>; rel="next"`);
    links.push(`<${urlFor(plan.lastPage)}>; rel="last"`);
  }
  if (plan.page > 1) links.push(`<${urlFor(1)}>; rel="first"`);
  return links.length > 0 ? links.join(', ') : undefined;
}
