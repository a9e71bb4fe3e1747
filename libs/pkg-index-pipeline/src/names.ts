import { PackyardError } from '@packyard/core';

// https://docs.github.com/en/get-started/using-git/dealing-with-special-characters-in-branch-and-tag-names
// and GitHub's sign-up form: a login is 1-39 alphanumerics or single hyphens, not at either end.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// GitHub turns anything else in a new repository's name into `-`; `.` and `..` are refused.
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** Throws CONFIG_INVALID unless `owner` is a GitHub user or organisation name. Pure. */
export function checkOwner(owner: string, field = '--owner'): string {
  if (!OWNER.test(owner)) {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(owner)} is not a GitHub owner name`, {
      field,
      value: owner,
      hint: 'an owner is 1-39 letters, digits or single hyphens, not starting or ending with a hyphen',
    });
  }
  return owner;
}

/** Throws CONFIG_INVALID unless `repo` is a GitHub repository name. Pure. */
export function checkRepo(repo: string, field = '--repo'): string {
  if (!REPO.test(repo) || repo === '.' || repo === '..' || repo.toLowerCase().endsWith('.git')) {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(repo)} is not a GitHub repository name`, {
      field,
      value: repo,
      hint: 'a repository name is letters, digits, ".", "_" and "-", without a ".git" suffix',
    });
  }
  return repo;
}

/** Splits and checks `OWNER/NAME`. Pure. */
export function parseRepository(text: string, field = '--index-repo'): { owner: string; repo: string } {
  const parts = text.split('/');
  if (parts.length !== 2) {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(text)} is not OWNER/NAME`, {
      field,
      value: text,
      hint: 'name the repository as owner/name, e.g. GridTools/python-pkg-index',
    });
  }
  return { owner: checkOwner(parts[0]!, field), repo: checkRepo(parts[1]!, field) };
}

/**
 * Throws CONFIG_INVALID unless `ref` is a name git accepts for a branch, tag or commit
 * (`git check-ref-format` rules, https://git-scm.com/docs/git-check-ref-format), and cannot be read
 * as an option: a ref arrives from a dispatch payload, which anyone holding the token controls. Pure.
 */
export function checkGitRef(ref: string, field = '--ref'): string {
  const problem = gitRefProblem(ref);
  if (problem !== undefined) {
    throw new PackyardError('CONFIG_INVALID', `${JSON.stringify(ref)} is not a git ref: ${problem}`, {
      field,
      value: ref,
      hint: 'give a branch, a tag or a full commit SHA',
    });
  }
  return ref;
}

function gitRefProblem(ref: string): string | undefined {
  if (ref === '') return 'it is empty';
  if (ref.length > 255) return 'it is longer than 255 characters';
  if (ref.startsWith('-')) return 'it starts with "-"';
  if (ref === '@') return 'it is "@"';
  // Control characters, space and the characters git reserves for revision syntax.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return 'it holds a space, a control character or one of ~^:?*[\\';
  if (ref.includes('..')) return 'it holds ".."';
  if (ref.includes('@{')) return 'it holds "@{"';
  if (ref.includes('//')) return 'it holds "//"';
  if (ref.startsWith('/') || ref.endsWith('/')) return 'it starts or ends with "/"';
  if (ref.endsWith('.')) return 'it ends with "."';
  for (const component of ref.split('/')) {
    if (component.startsWith('.')) return 'a component starts with "."';
    if (component.endsWith('.lock')) return 'a component ends with ".lock"';
  }
  return undefined;
}

/** The clone URL of `owner/repo` under a base such as https://github.com or file:///srv/git. Pure. */
export function renderSourceUrl(gitBase: string, owner: string, repo: string): string {
  return `${gitBase.replace(/\/+$/, '')}/${owner}/${repo}`;
}

/** The seed's commit message for an update of `owner/repo`. Pure. */
export function renderCommitMessage(owner: string, repo: string): string {
  return `updated dependency "${owner}/${repo}"`;
}
