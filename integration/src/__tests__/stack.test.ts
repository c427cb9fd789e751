import { startStack } from '../../../scripts/stack';

// The local stack's own failure handling (DESIGN.md §7): a piece that cannot start is
// named with the tail of its log, and nothing it started is left running.
jest.setTimeout(180_000);

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('when a service refuses its configuration, then the stack names it with its log and stops everything', async () => {
  const lines: string[] = [];
  let error: (Error & { handle?: { name: string } }) | undefined;
  try {
    const stack = await startStack({
      apiOnly: true,
      gatewayPort: 0,
      env: { ORDER_EXPIRATION_SECONDS: '0' },
      log: (l) => lines.push(l),
    });
    await stack.stop();
  } catch (err) {
    error = err as Error & { handle?: { name: string } };
  }
  expect(error).toBeDefined();
  expect(error!.message).toMatch(/^orders exited \(1\) before ready/);
  expect(error!.message).toMatch(/ORDER_EXPIRATION_SECONDS must be at least 1/);
  expect(lines).toContain('starting services');
});

it('when the stack is stopped, then no process it started is left', async () => {
  const stack = await startStack({ apiOnly: true, gatewayPort: 0, log: () => undefined });
  const pids = stack.handles.map((h) => h.child.pid);
  expect(pids.filter(alive).length).toBe(stack.handles.length);
  await stack.stop();
  await new Promise((r) => setTimeout(r, 1_500)); // zombies are reaped by then
  expect(stack.handles.filter((h) => h.running).map((h) => h.name)).toEqual([]);
  expect(pids.filter(alive)).toEqual([]);
});
