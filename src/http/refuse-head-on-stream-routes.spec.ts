import { MethodNotAllowedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { refuseHeadOnStreamRoutes } from './refuse-head-on-stream-routes';

/** Runs the middleware on a request with `method` and `path`; what it passed on, and `Allow`. */
function run(method: string, path: string): { passed: unknown; allow?: string } {
  const headers = new Map<string, string>();
  const res = { setHeader: (name: string, value: string) => headers.set(name, value) };
  let passed: unknown = 'not called';
  refuseHeadOnStreamRoutes({ method, path } as Request, res as unknown as Response, (error) => {
    passed = error;
  });
  return { passed, allow: headers.get('Allow') };
}

describe('refuseHeadOnStreamRoutes', () => {
  it.each([
    ['/api/chat/stream', 'GET, POST'],
    ['/api/chat/stream/', 'GET, POST'],
    ['/API/CHAT/STREAM', 'GET, POST'],
    ['/api/chat/streams', 'POST'],
    ['/api/chat/streams/', 'POST'],
    ['/api/chat/streams/abc', 'GET, DELETE'],
    ['/api/chat/streams/abc/', 'GET, DELETE'],
    ['/api/ui/chat/c1/stream', 'GET, POST'],
    ['/v1/chat/completions', 'GET, POST'],
    ['/htmx/streams/abc', 'GET, POST'],
  ])('refuses HEAD %s with 405, Allow: %s', (path, allow) => {
    const { passed, allow: sent } = run('HEAD', path);
    expect(passed).toBeInstanceOf(MethodNotAllowedException);
    expect(sent).toBe(allow);
  });

  it.each([
    ['HEAD', '/health/live'],
    ['HEAD', '/'],
    ['HEAD', '/build/app.js'],
    ['HEAD', '/htmx'],
    ['GET', '/api/chat/stream'],
    ['POST', '/api/chat/stream'],
    ['DELETE', '/api/chat/streams/abc'],
  ])('lets %s %s through', (method, path) => {
    expect(run(method, path)).toEqual({ passed: undefined, allow: undefined });
  });
});
