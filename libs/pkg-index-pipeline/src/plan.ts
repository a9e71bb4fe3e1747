import { checkGitRef, checkOwner, checkRepo, renderCommitMessage, renderSourceUrl } from './names.js';

/** The steps of an update, in the order they run (each is one `[n/N]` item). */
export const UPDATE_ACTIONS = ['index', 'clone', 'build', 'install-test', 'publish'] as const;

/** One action of an update plan; the step of the same name carries it out. */
export type UpdateAction = (typeof UPDATE_ACTIONS)[number];

/** What an update is asked to build, and where it goes. */
export interface UpdateRequest {
  owner: string;
  repo: string;
  ref: string;
  /** Clone URLs are `<gitBase>/<owner>/<repo>`; default https://github.com. */
  gitBase?: string | undefined;
  /** The branch the index lives on; default `main` (the seed pushes straight to it). */
  branch?: string | undefined;
}

/** An update, decided: every name checked, the URLs and the message it will use, and its actions. */
export interface UpdatePlan {
  owner: string;
  repo: string;
  ref: string;
  sourceUrl: string;
  branch: string;
  /** The ref the push updates: `refs/heads/<branch>`. */
  target: string;
  commitMessage: string;
  actions: readonly UpdateAction[];
}

/**
 * Plans one update: checks the owner, repository and ref (CONFIG_INVALID names the option and the
 * value) before anything is cloned or written, and lists the actions the steps carry out: prepare
 * the index checkout (first, so a missing or dirty one fails before minutes of building), clone the
 * source at the ref, build the wheel, install-test it, add it to the index and push. Pure.
 */
export function planUpdate(request: UpdateRequest): UpdatePlan {
  const owner = checkOwner(request.owner);
  const repo = checkRepo(request.repo);
  const ref = checkGitRef(request.ref);
  const branch = request.branch ?? 'main';
  return {
    owner,
    repo,
    ref,
    sourceUrl: renderSourceUrl(request.gitBase ?? 'https://github.com', owner, repo),
    branch,
    target: `refs/heads/${branch}`,
    commitMessage: renderCommitMessage(owner, repo),
    actions: [...UPDATE_ACTIONS],
  };
}
