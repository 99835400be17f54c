import { AbortService } from './abort.service';
import { LocalCancelBus } from './local-cancel-bus';
import { abortKindOf } from './stream-abort-reason';

function register(aborts: AbortService, id: string) {
  const lease = aborts.register(id);
  if (!lease) throw new Error('expected registration to succeed');
  return lease;
}

describe('AbortService', () => {
  it('gives each running id its own signal and aborts it with a reason on cancel', async () => {
    const aborts = new AbortService(new LocalCancelBus());
    const first = register(aborts, 'a');
    const second = register(aborts, 'b');
    await aborts.cancel('a');
    expect(first.signal.aborted).toBe(true);
    expect(abortKindOf(first.signal)).toBe('cancelled');
    expect(second.signal.aborted).toBe(false);
  });

  it('refuses an id that is running here, and forgets it on release (idempotent)', () => {
    const aborts = new AbortService(new LocalCancelBus());
    const lease = register(aborts, 'x');
    expect(aborts.register('x')).toBeUndefined();
    lease.release();
    lease.release();
    expect(aborts.runningCount).toBe(0);
    expect(aborts.isRunningHere('x')).toBe(false);
    expect(aborts.register('x')).toBeDefined();
  });

  it('a stale lease cannot remove a newer registration of the same id', () => {
    const aborts = new AbortService(new LocalCancelBus());
    const old = register(aborts, 'x');
    old.release();
    register(aborts, 'x');
    old.release();
    expect(aborts.isRunningHere('x')).toBe(true);
  });

  it('sends cancels for streams it does not run to the bus, and obeys cancels from it', async () => {
    const bus = new LocalCancelBus();
    const published: string[] = [];
    bus.onCancel((id) => published.push(id));
    const aborts = new AbortService(bus);
    await aborts.cancel('elsewhere');
    expect(published).toEqual(['elsewhere']);
    const lease = register(aborts, 'here');
    await bus.publish('here');
    expect(abortKindOf(lease.signal)).toBe('cancelled');
  });

  it('aborts every running stream for shutdown, with that reason', () => {
    const aborts = new AbortService(new LocalCancelBus());
    const leases = ['a', 'b', 'c'].map((id) => register(aborts, id));
    aborts.abortAll('shutdown');
    expect(leases.map((lease) => abortKindOf(lease.signal))).toEqual([
      'shutdown',
      'shutdown',
      'shutdown',
    ]);
  });
});
