// The local stand-in for the `@aws-appsync/utils` module that AppSync provides to APPSYNC_JS code.
//
// Only what the project's resolvers use is implemented, and implemented as AppSync documents it. Every
// other member of the real module exists too, so that code using it fails with a clear
// "not supported by the local runtime" error instead of passing here and failing in AWS (or the reverse).
// Names that the real module does not have are simply absent, as in AppSync.

import { randomUUID } from 'node:crypto';

/** util.error and util.unauthorized: ends the evaluation with an error for the field, as AppSync does. */
export class ResolverError {
  constructor(message, type, data, errorInfo) {
    this.message = message;
    this.type = type;
    this.data = data;
    this.errorInfo = errorInfo;
  }
}

/** runtime.earlyReturn: ends the evaluation with a result, skipping the data source. */
export class EarlyReturn {
  constructor(value, skipTo) {
    this.value = value;
    this.skipTo = skipTo;
  }
}

/** A real AppSync feature that this runtime does not implement. */
export class NotSupportedError extends Error {
  constructor(feature) {
    super(`not supported by the local runtime: ${feature}`);
    this.name = 'NotSupportedError';
  }
}

function notSupported(feature) {
  return () => {
    throw new NotSupportedError(feature);
  };
}

/** An object with the given members, and a throwing stand-in for each of the real module's others. */
function withStandIns(prefix, implemented, allNames) {
  const members = {};
  for (const name of allNames) {
    members[name] = notSupported(`${prefix}.${name}()`);
  }
  return Object.assign(members, implemented);
}

// The members of @aws-appsync/utils 2.x (its type definitions), by namespace.
const UTIL_NAMES = [
  'escapeJavaScript', 'urlEncode', 'urlDecode', 'base64Encode', 'base64Decode', 'autoId', 'autoUlid',
  'autoKsuid', 'unauthorized', 'error', 'appendError', 'matches', 'authType',
];
const TIME_NAMES = [
  'nowISO8601', 'nowEpochSeconds', 'nowEpochMilliSeconds', 'nowFormatted', 'parseFormattedToEpochMilliSeconds',
  'parseISO8601ToEpochMilliSeconds', 'epochMilliSecondsToSeconds', 'epochMilliSecondsToISO8601',
  'epochMilliSecondsToFormatted',
];
const DYNAMODB_NAMES = [
  'toDynamoDB', 'toMapValues', 'toString', 'toStringSet', 'toNumber', 'toNumberSet', 'toBinary', 'toBinarySet',
  'toBoolean', 'toNull', 'toList', 'toMap', 'toS3Object', 'fromS3ObjectJson',
];
const OTHER_NAMESPACES = {
  rds: ['toJsonObject'],
  http: ['copyHeaders', 'addResponseHeader', 'addResponseHeaders'],
  xml: ['toMap', 'toJsonString'],
  transform: [
    'toDynamoDBFilterExpression', 'toDynamoDBConditionExpression', 'toElasticsearchQueryDSL', 'toSubscriptionFilter',
  ],
  math: ['roundNum', 'minVal', 'maxVal', 'randomDouble', 'randomWithinRange'],
  str: ['normalize'],
};
const EXTENSIONS_NAMES = [
  'evictFromApiCache', 'setSubscriptionFilter', 'setSubscriptionInvalidationFilter', 'invalidateSubscriptions',
];

/**
 * A value in DynamoDB's typed form ({"S": "x"}, {"N": "1"}...), as util.dynamodb.toDynamoDB converts it:
 * lists become L and objects M (never sets: those need the explicit toStringSet and friends).
 */
function toDynamoDB(value) {
  if (value === null) {
    return { NULL: true };
  }
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`util.dynamodb.toDynamoDB: DynamoDB cannot store the number ${value}`);
      }
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object':
      if (Array.isArray(value)) {
        return { L: value.map((element) => toDynamoDB(element)) };
      }
      return { M: toMapValues(value) };
    default:
      throw new TypeError(`util.dynamodb.toDynamoDB: cannot convert a value of type ${typeof value}`);
  }
}

/** Each value of an object in DynamoDB's typed form: keys and expression values are written this way. */
function toMapValues(object) {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new TypeError('util.dynamodb.toMapValues expects an object');
  }
  const converted = {};
  for (const [key, value] of Object.entries(object)) {
    // As in JSON, an undefined value is no value at all.
    if (value !== undefined) {
      converted[key] = toDynamoDB(value);
    }
  }
  return converted;
}

/**
 * util.matches: AppSync implements it with Java's Pattern.matches, which matches the whole value.
 * The patterns the resolvers use mean the same in both regex dialects.
 */
function matches(pattern, value) {
  if (typeof pattern !== 'string' || typeof value !== 'string') {
    throw new TypeError('util.matches expects a pattern and a value that are both strings');
  }
  let expression;
  try {
    expression = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    throw new NotSupportedError(`the pattern ${JSON.stringify(pattern)} in util.matches (${error.message})`);
  }
  return expression.test(value);
}

// A date-time with its offset, as AppSync's ISO 8601 parsing takes it: 2030-01-08T08:05:00Z,
// 2030-01-08T08:05:00.123+01:00. Date.parse alone would also take forms AppSync refuses.
const ISO_8601_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** util.time.parseISO8601ToEpochMilliSeconds: an ISO 8601 date-time as epoch milliseconds. */
function parseISO8601ToEpochMilliSeconds(text) {
  const epochMilliSeconds = typeof text === 'string' && ISO_8601_DATE_TIME.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(epochMilliSeconds)) {
    throw new TypeError(`util.time.parseISO8601ToEpochMilliSeconds: ${JSON.stringify(text)} is not an ISO 8601 date-time`);
  }
  return epochMilliSeconds;
}

function errorOf(args) {
  const [message, type, data, errorInfo] = args;
  return new ResolverError(String(message), type ?? null, data ?? null, errorInfo ?? null);
}

/**
 * A fresh `@aws-appsync/utils` for one evaluation.
 *
 * info: the context's info (util.unauthorized names the field in its message);
 * now: () => the current time in epoch milliseconds (tests fix the clock through it);
 * outErrors: receives util.appendError's errors.
 */
export function createAppSyncUtils({ info, now, outErrors }) {
  const time = withStandIns(
    'util.time',
    {
      nowISO8601: () => new Date(now()).toISOString(),
      nowEpochSeconds: () => Math.floor(now() / 1000),
      nowEpochMilliSeconds: () => now(),
      parseISO8601ToEpochMilliSeconds,
    },
    TIME_NAMES,
  );
  const dynamodb = withStandIns('util.dynamodb', { toDynamoDB, toMapValues }, DYNAMODB_NAMES);
  const namespaces = {};
  for (const [namespace, names] of Object.entries(OTHER_NAMESPACES)) {
    namespaces[namespace] = withStandIns(`util.${namespace}`, {}, names);
  }

  const util = withStandIns(
    'util',
    {
      autoId: () => randomUUID(),
      matches,
      error: (...args) => {
        throw errorOf(args);
      },
      appendError: (...args) => {
        const appended = errorOf(args);
        outErrors.push({ ...appended });
      },
      unauthorized: () => {
        throw new ResolverError(
          `Not Authorized to access ${info?.fieldName} on type ${info?.parentTypeName}`,
          'Unauthorized',
          null,
          null,
        );
      },
      time,
      dynamodb,
      ...namespaces,
    },
    UTIL_NAMES,
  );

  const runtime = {
    earlyReturn: (value, options) => {
      throw new EarlyReturn(value ?? null, options?.skipTo ?? null);
    },
  };

  const extensions = withStandIns('extensions', {}, EXTENSIONS_NAMES);

  return { util, runtime, extensions };
}
