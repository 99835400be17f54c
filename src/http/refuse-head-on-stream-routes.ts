import { MethodNotAllowedException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

interface StreamRoute {
  path: RegExp;
  /** The methods the route does take, for the `Allow` header a 405 must carry. */
  allow: string;
}

/**
 * Paths whose GET handler starts or follows a stream. Express routes HEAD to GET handlers, so a
 * HEAD there would start a generation (paid upstream call) or hold a follower open for nothing.
 * Matched like Express matches routes: case-insensitive, trailing slash optional. Every route of
 * the stream views (`/api`, `/v1`, `/htmx/...`) is covered, so a new streaming GET is safe at once.
 */
const STREAM_ROUTES: readonly StreamRoute[] = [
  { path: /^\/api\/chat\/streams\/?$/i, allow: 'POST' },
  { path: /^\/api\/chat\/streams\/[^/]+\/?$/i, allow: 'GET, DELETE' },
  // htmx's own script files are static assets, which HEAD may ask about.
  { path: /^\/(?:api|v1)\/|^\/htmx\/(?!assets\/)/i, allow: 'GET, POST' },
];

/** Express middleware: `405` with `Allow` for HEAD on a stream route, in Nest's error shape. */
export function refuseHeadOnStreamRoutes(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'HEAD') {
    next();
    return;
  }
  const route = STREAM_ROUTES.find(({ path }) => path.test(req.path));
  if (!route) {
    next();
    return;
  }
  res.setHeader('Allow', route.allow);
  next(new MethodNotAllowedException(`HEAD is not allowed here; use ${route.allow}.`));
}
