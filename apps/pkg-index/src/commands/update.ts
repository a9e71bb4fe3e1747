import { resolve } from 'node:path';
import {
  createStepEventRenderer,
  usageError,
  type CommandContext,
  type CommandOutcome,
} from '@packyard/core';
import type { UpdateIndexRequest } from '@packyard/pkg-index-pipeline';
import { commandLog, parseCount, pipeline, type CliIo } from './shared.js';

function parseAuthor(text: string | undefined): { name: string; email: string } | undefined {
  if (text === undefined) return undefined;
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!match) throw usageError(`--author must be "NAME <EMAIL>", not ${JSON.stringify(text)}`);
  return { name: match[1]!, email: match[2]! };
}

/** The update request the options describe; paths are taken from the working directory. */
function updateRequest(c: CommandContext): UpdateIndexRequest {
  const indexRepo = c.string('index-repo');
  const indexDirOption = c.string('index-dir');
  return {
    owner: c.required('owner'),
    repo: c.required('repo'),
    ref: c.required('ref'),
    gitBase: c.string('git-base'),
    indexRepo: indexRepo !== undefined && /^[./]/.test(indexRepo) ? resolve(c.cwd, indexRepo) : indexRepo,
    indexDir:
      indexDirOption !== undefined
        ? resolve(c.cwd, indexDirOption)
        : indexRepo === undefined
          ? c.cwd
          : undefined,
    branch: c.string('branch'),
    pushAttempts: parseCount(c, 'push-attempts', 5, 1, 100),
    replace: c.values['replace'] === true,
    author: parseAuthor(c.string('author')),
    python: c.string('python'),
    indexUrl: c.string('index-url'),
  };
}

/** `pkg-index update`: options → request → the update pipeline → one line (or a JSON document). */
export async function runUpdateCommand(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const request = updateRequest(c);
  const { planUpdate, updateIndex } = await pipeline();
  if (c.values['dry-run'] === true) {
    const plan = planUpdate(request);
    return {
      result: plan,
      text: `would ${plan.actions.join(', ')}: ${plan.sourceUrl} at ${plan.ref} into ${plan.branch}`,
    };
  }
  const report = await updateIndex(request, {
    env: c.env,
    log: commandLog(c),
    onEvent: createStepEventRenderer(c.progress),
    provisionTools: io.provisionTools,
    addFilesToIndex: io.addFilesToIndex,
  });
  const source = `${request.owner}/${request.repo}@${report.sourceCommit}`;
  return {
    result: report,
    text:
      report.outcome === 'pushed'
        ? `pushed ${report.indexCommit}: ${report.wheel} from ${source}`
        : `unchanged: the index already has ${report.wheel} from ${source}`,
  };
}

/** `pkg-index dispatch`: names checked, then the token, then one repository_dispatch. */
export async function runDispatchCommand(c: CommandContext, io: CliIo): Promise<CommandOutcome> {
  const owner = c.required('owner');
  const repo = c.required('repo');
  const ref = c.required('ref');
  const indexRepo = c.string('index-repo') ?? c.env['PKG_INDEX_REPO'];
  if (!indexRepo) throw usageError('--index-repo was not specified (nor PKG_INDEX_REPO)');
  const { planDispatch, readDispatchToken, sendDispatch } = await pipeline();
  // Names are checked before the token is looked at, and the token before anything is sent.
  const event = planDispatch({ owner, repo, ref, indexRepo });
  const tokenFile = c.string('token-file');
  const token = await readDispatchToken(
    c.env,
    tokenFile === undefined ? undefined : resolve(c.cwd, tokenFile),
  );
  await sendDispatch(event, {
    token,
    apiUrl: c.string('api-url'),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  c.log.info(
    `dispatched ${event.event_type} to ${event.owner}/${event.repo}: ${JSON.stringify(event.client_payload)}`,
  );
  return { result: { dispatched: event } };
}
