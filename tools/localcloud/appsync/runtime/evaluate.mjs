// Evaluates AppSync APPSYNC_JS resolver and function code outside AWS, like AppSync's EvaluateCode API.
//
// A long-running process: one JSON request per line on stdin, one JSON answer per line on stdout, in
// order. The first line written is {"ready": true, "node": "<version>"}.
//
//   request: {"id": 1, "codePath": "/abs/Query.getFlight.js", "function": "request" | "response",
//             "context": {"arguments": {...}, "identity": {...}, "env": {...}, ...},
//             "now": "2030-01-01T00:00:00Z" (optional: fixes util.time's clock)}
//   answers: {"id": 1, "outcome": "result", "result": <returned value>, "earlyReturn": null | {"skipTo": ...},
//             "error": null, "outErrors": [...], "stash": {...}, "logs": [...]}
//            {"id": 1, "outcome": "error", "result": null, "error": {"message", "type", "data", "errorInfo"},
//             "outErrors": [...], "stash": {...}, "logs": [...]}          (util.error, util.unauthorized)
//            {"id": 1, "outcome": "codeError", "codeError": {"name", "message", "stack"}, "logs": [...]}
//             (the code itself failed: syntax error, exception, timeout, unsupported feature or import)
//            {"id": 1, "outcome": "invalidRequest", "message": "..."}   (the request could not be evaluated)
//
// Each evaluation gets a new V8 context holding only the language's built-ins, as APPSYNC_JS code has no
// Node.js APIs (process, require, fetch, timers...); a resolver that reached for one fails here as it
// would in AWS. String code generation (eval, new Function) is refused too. The code file is read
// anew each time, so edits show up without a restart. The separation is there to be faithful to
// AppSync, not to contain hostile code: util and console are this process's own functions, so it is
// meant for the project's resolvers only.
//
// Usage: node --experimental-vm-modules evaluate.mjs [--timeout-ms N]

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import vm from 'node:vm';

import { EarlyReturn, NotSupportedError, ResolverError, createAppSyncUtils } from './appsync-utils.mjs';

const HANDLERS = new Set(['request', 'response']);
const CONTEXT_KEYS = new Set([
  'arguments', 'args', 'source', 'identity', 'stash', 'result', 'prev', 'request', 'info', 'env', 'error',
]);
// AppSync accepts nothing but its own modules: resolver code is a single (bundled) file.
const UTILS_MODULE = '@aws-appsync/utils';

/** A request that cannot be evaluated as given (the caller's mistake, not the code's). */
class InvalidRequestError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** Code that AppSync would not run at all: no such handler, or an import of another module. */
class InvalidCodeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidCodeError';
  }
}

function timeoutFromArguments(argv) {
  const index = argv.indexOf('--timeout-ms');
  if (index === -1) {
    return 5000;
  }
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidRequestError('--timeout-ms needs a positive whole number of milliseconds');
  }
  return value;
}

/** The context as AppSync gives it to a handler, written as JSON (so it can be parsed in the sandbox). */
function contextJson(given) {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new InvalidRequestError('context must be a JSON object');
  }
  for (const key of Object.keys(given)) {
    if (!CONTEXT_KEYS.has(key)) {
      throw new InvalidRequestError(`context has no "${key}" in AppSync (known: ${[...CONTEXT_KEYS].join(', ')})`);
    }
  }
  const context = {
    arguments: given.arguments ?? given.args ?? {},
    source: given.source ?? null,
    identity: given.identity ?? null,
    stash: given.stash ?? {},
    result: given.result ?? null,
    prev: given.prev ?? null,
    request: given.request ?? { headers: {}, domainName: null },
    info: given.info ?? {},
    env: given.env ?? {},
  };
  if (given.error !== undefined && given.error !== null) {
    context.error = given.error;
  }
  return JSON.stringify(context);
}

function clockOf(now) {
  if (now === undefined || now === null) {
    return () => Date.now();
  }
  const fixed = Date.parse(now);
  if (Number.isNaN(fixed)) {
    throw new InvalidRequestError(`now must be an ISO 8601 date and time, not ${JSON.stringify(now)}`);
  }
  return () => fixed;
}

function sandboxConsole(logs) {
  const write = (...values) => {
    logs.push(format(...values));
  };
  return { log: write, info: write, warn: write, error: write, debug: write };
}

/** Serialises a value that came out of the sandbox (undefined, like a missing value, becomes null). */
function plain(value) {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

function describeFailure(error) {
  // Errors raised inside the sandbox belong to its realm: read them by property, not by instanceof.
  if (error !== null && typeof error === 'object') {
    const name = error.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' ? 'TimeoutError' : String(error.name ?? 'Error');
    return { name, message: String(error.message ?? error), stack: String(error.stack ?? '') };
  }
  return { name: 'Error', message: `the code threw a non-error value: ${String(error)}`, stack: '' };
}

async function evaluate(request, timeout) {
  if (request === null || typeof request !== 'object') {
    throw new InvalidRequestError('a request must be a JSON object');
  }
  const { codePath, function: handlerName } = request;
  if (typeof codePath !== 'string' || codePath === '') {
    throw new InvalidRequestError('codePath must be the path of a resolver or function file');
  }
  if (!HANDLERS.has(handlerName)) {
    throw new InvalidRequestError('function must be "request" or "response"');
  }
  const path = resolve(codePath);
  const contextText = contextJson(request.context ?? {});
  const now = clockOf(request.now);
  let source;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidRequestError(`cannot read ${path}: ${error.message}`);
  }

  const logs = [];
  const outErrors = [];
  const sandbox = vm.createContext({}, { codeGeneration: { strings: false, wasm: false } });
  sandbox.console = sandboxConsole(logs);
  const ctx = vm.runInContext('JSON', sandbox).parse(contextText);
  ctx.args = ctx.arguments;
  Object.freeze(ctx.env);
  const utils = createAppSyncUtils({ info: ctx.info, now, outErrors });

  const finished = (fields) => ({ outErrors: plain(outErrors), stash: plain(ctx.stash), logs, ...fields });
  try {
    const module = new vm.SourceTextModule(source, { context: sandbox, identifier: pathToFileURL(path).href });
    await module.link((specifier) => {
      if (specifier === UTILS_MODULE) {
        return new vm.SyntheticModule(
          ['util', 'runtime', 'extensions'],
          function setExports() {
            this.setExport('util', utils.util);
            this.setExport('runtime', utils.runtime);
            this.setExport('extensions', utils.extensions);
          },
          { context: sandbox, identifier: UTILS_MODULE },
        );
      }
      if (specifier.startsWith(`${UTILS_MODULE}/`)) {
        throw new NotSupportedError(`the ${specifier} module (write the request with util.dynamodb instead)`);
      }
      throw new InvalidCodeError(`AppSync code can import only from ${UTILS_MODULE}, not from "${specifier}"`);
    });
    await module.evaluate({ timeout });
    const handler = module.namespace[handlerName];
    if (typeof handler !== 'function') {
      throw new InvalidCodeError(`${path} does not export a ${handlerName} function`);
    }
    // Called from a script so that the timeout covers the handler too; the slot is removed at once.
    const slot = `__localAppSyncCall_${randomUUID().replaceAll('-', '')}`;
    sandbox[slot] = { handler, ctx };
    let value;
    try {
      value = new vm.Script(`(0, ${slot}.handler)(${slot}.ctx)`).runInContext(sandbox, { timeout });
    } finally {
      delete sandbox[slot];
    }
    if (value !== null && typeof value === 'object' && typeof value.then === 'function') {
      throw new NotSupportedError('a handler that returns a Promise (APPSYNC_JS has no asynchronous code)');
    }
    return finished({ outcome: 'result', result: plain(value), earlyReturn: null, error: null });
  } catch (error) {
    if (error instanceof ResolverError) {
      return finished({ outcome: 'error', result: null, error: { ...error } });
    }
    if (error instanceof EarlyReturn) {
      return finished({
        outcome: 'result',
        result: plain(error.value),
        earlyReturn: { skipTo: error.skipTo },
        error: null,
      });
    }
    return { outcome: 'codeError', codeError: describeFailure(error), logs };
  }
}

async function serve() {
  const timeout = timeoutFromArguments(process.argv.slice(2));
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  process.stdout.write(`${JSON.stringify({ ready: true, node: process.version })}\n`);
  for await (const line of lines) {
    if (line.trim() === '') {
      continue;
    }
    let id = null;
    let answer;
    try {
      const request = JSON.parse(line);
      id = request?.id ?? null;
      answer = await evaluate(request, timeout);
    } catch (error) {
      answer = error instanceof InvalidRequestError || error instanceof SyntaxError
        ? { outcome: 'invalidRequest', message: error.message }
        : { outcome: 'codeError', codeError: describeFailure(error), logs: [] };
    }
    process.stdout.write(`${JSON.stringify({ id, ...answer })}\n`);
  }
}

await serve();
