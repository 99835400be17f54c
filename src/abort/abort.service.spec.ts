import type { AppConfig } from '../config/app-config';
import { loadConfig } from '../config/load-config';
import { AbortService } from './abort.service';
import { abortKindOf } from './stream-abort-reason';

function service(env: Record<string, string> = {}): AbortService {
  const config: AppConfig = loadConfig(env);
  return new AbortService(config);
}

function lease(aborts: AbortService, id: string, owner?: string) {
  const outcome = aborts.register(id, owner);
  if (!outcome.ok) throw new Error('expected registration to succeed');
  return outcome.lease;
}

describe('AbortService', () => {
  afterEach(() => jest.useRealTimers());

  it('gives each running id its own signal and aborts it with a reason on cancel', () => {
    const aborts = service();
    const first = lease(aborts, 'a');
    const second = lease(aborts, 'b');
    expect(aborts.cancel('a', undefined)).toBe('cancelling');
    expect(first.signal.aborted).toBe(true);
    expect(abortKindOf(first.signal)).toBe('cancelled');
    expect(second.signal.aborted).toBe(false);
  });

  it('refuses a running or recently finished id, and forgets it after the TTL', () => {
    jest.useFakeTimers();
    const aborts = service({ STREAM_TTL_S: '10' });
    const running = lease(aborts, 'x');
    expect(aborts.register('x', undefined)).toEqual({ ok: false, reason: 'duplicate' });
    running.release();
    running.release();
    expect(aborts.runningCount).toBe(0);
    expect(aborts.register('x', undefined)).toEqual({ ok: false, reason: 'duplicate' });
    expect(aborts.cancel('x', undefined)).toBe('finished');
    jest.advanceTimersByTime(10_001);
    expect(aborts.cancel('x', undefined)).toBe('unknown');
    expect(aborts.register('x', undefined).ok).toBe(true);
  });

  it('keeps at most MEMORY_LOG_MAX_STREAMS finished ids, dropping the oldest', () => {
    const aborts = service({ MEMORY_LOG_MAX_STREAMS: '3' });
    for (const id of ['a', 'b', 'c', 'd']) lease(aborts, id).release();
    expect(aborts.finishedCount).toBe(3);
    expect(aborts.cancel('a', undefined)).toBe('unknown');
    expect(aborts.cancel('d', undefined)).toBe('finished');
  });

  it('hides a stream from any key but the one that started it', () => {
    const aborts = service();
    const owned = lease(aborts, 'mine', 'key-1');
    expect(aborts.cancel('mine', 'key-2')).toBe('unknown');
    expect(owned.signal.aborted).toBe(false);
    expect(aborts.cancel('mine', 'key-1')).toBe('cancelling');
  });

  it('aborts every running stream for shutdown, with that reason', () => {
    const aborts = service();
    const leases = ['a', 'b', 'c'].map((id) => lease(aborts, id));
    aborts.abortAll('shutdown');
    expect(leases.map((item) => abortKindOf(item.signal))).toEqual([
      'shutdown',
      'shutdown',
      'shutdown',
    ]);
  });
});
