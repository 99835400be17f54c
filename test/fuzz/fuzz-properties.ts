import type fc from 'fast-check';
import { anyFuzzCase } from './any-fuzz-case';
import { dotSegmentPaths } from './dot-segments';
import type { FuzzCase, FuzzTarget } from './fuzz-case';
import { htmxFormFuzzCase, htmxPrototypeKeyFormCase } from './htmx-cases';
import { htmxStreamFuzzCase } from './htmx-streams';
import { openAIFuzzCase, otherCaseV1, unknownV1Paths } from './openai-cases';
import { uiChatFuzzCase } from './ui-chat-cases';

/** One property per route group, so that a failure in one leaves the others running. */
export interface FuzzProperty {
  name: string;
  /** Its number of runs, as a share of the configuration's. */
  share: number;
  cases: (target: FuzzTarget) => fc.Arbitrary<FuzzCase>;
  /** Inputs tried before the generated ones: bugs this suite once found, kept as regressions. */
  examples?: (target: FuzzTarget) => FuzzCase[];
}

export const PROPERTIES: FuzzProperty[] = [
  {
    name: 'native routes (/api/chat/stream, /api/chat/streams[/{id}] and others): Nest-shaped 4xx',
    share: 1,
    cases: anyFuzzCase,
  },
  {
    name: "POST /v1/chat/completions: every 4xx in OpenAI's error shape",
    share: 0.5,
    cases: openAIFuzzCase,
  },
  {
    name: "unknown paths under /v1/: 404 in OpenAI's error shape",
    share: 0.1,
    cases: (target) => unknownV1Paths(target, '/v1/'),
  },
  {
    name: 'AI SDK routes (POST /api/ui/chat, GET …/{chatId}/stream, POST …/{chatId}/stop): Nest-shaped 4xx',
    share: 0.5,
    cases: uiChatFuzzCase,
  },
  {
    name: 'htmx forms (POST /htmx/chat, /htmx/v2/chat, /htmx/stop): any 4xx',
    share: 0.4,
    cases: htmxFormFuzzCase,
  },
  {
    name: 'htmx forms with a prototype key among their fields: 400',
    share: 0.05,
    cases: htmxPrototypeKeyFormCase,
    examples: () => [
      {
        label: 'once a bug: __proto__ field',
        view: 'htmx',
        method: 'POST',
        path: '/htmx/chat',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from('__proto__=x&query=hi&requestId=fuzz-proto-example'),
        validity: 'invalid',
      },
    ],
  },
  {
    name: 'GET /htmx/streams/{id} with weird ids and Last-Event-IDs',
    share: 0.2,
    cases: htmxStreamFuzzCase,
    examples: () => [
      {
        label: 'once a bug: id with a line feed',
        view: 'htmx',
        method: 'GET',
        path: '/htmx/streams/%0A',
        headers: {},
        validity: 'maybe-valid',
        upstreamCallsAllowed: 0,
      },
    ],
  },
  {
    name: "/V1 in another letter case, which Express routes to the OpenAI view: refusals in OpenAI's shape too",
    share: 0.05,
    cases: otherCaseV1,
    examples: () => [
      {
        label: 'once a bug: /V1',
        view: 'openai',
        method: 'POST',
        path: '/V1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from('{}'),
        validity: 'invalid',
      },
    ],
  },
  {
    name: "dot segments climbing out of /api/, /v1/, /htmx/: a 4xx in the view's shape",
    share: 0.05,
    cases: dotSegmentPaths,
    examples: () => [
      {
        label: 'once a bug: /v1/%2e%2e/index.html',
        view: 'openai',
        method: 'GET',
        path: '/v1/%2e%2e/index.html',
        headers: {},
        validity: 'invalid',
      },
    ],
  },
];
