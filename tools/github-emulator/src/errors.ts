/** One entry of a `Validation Failed` body's `errors` array. */
export interface ValidationItem {
  resource: string;
  code: 'already_exists' | 'missing_field' | 'invalid' | 'custom';
  field?: string;
  message?: string;
}

export const DOCS = 'https://docs.github.com/rest';

/**
 * A GitHub error response, thrown by handlers and rendered by the server. It is the emulator's answer to
 * a client, not a failure of the emulator.
 */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly documentationUrl: string = DOCS,
    readonly errors: ValidationItem[] | undefined = undefined,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

/** `404 Not Found`, which GitHub also uses for resources the caller may not see. */
export function notFound(documentationUrl = DOCS): GitHubApiError {
  return new GitHubApiError(404, 'Not Found', documentationUrl);
}

/** `422 Validation Failed` with one item, GitHub's shape for semantic conflicts. */
export function validationFailed(item: ValidationItem, documentationUrl: string): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', documentationUrl, [item]);
}

/**
 * GitHub's JSON-schema rejection: `422 Invalid request.` followed by the reasons, e.g.
 * `"event_type" wasn't supplied.` (the wording seen in real responses).
 */
export function invalidRequest(reasons: string[], documentationUrl: string): GitHubApiError {
  return new GitHubApiError(422, `Invalid request.\n\n${reasons.join('\n')}`, documentationUrl);
}

/**
 * The JSON body of an error. api.github.com sends `{message, errors?, documentation_url, status}` with the
 * status as a string; uploads.github.com sends `{message, request_id, documentation_url, errors?}` (as
 * recorded in @octokit/fixtures `release-assets-conflict`).
 */
export function renderErrorBody(error: GitHubApiError, host: 'api' | 'uploads', requestId: string): object {
  const errors = error.errors === undefined ? {} : { errors: error.errors };
  if (host === 'uploads') {
    return {
      message: error.message,
      request_id: requestId,
      documentation_url: error.documentationUrl,
      ...errors,
    };
  }
  return {
    message: error.message,
    ...errors,
    documentation_url: error.documentationUrl,
    status: String(error.status),
  };
}
