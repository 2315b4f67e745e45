import type { RunningStack } from '@platform/local-stack/process';

export default async () => {
  const running = (globalThis as Record<string, unknown>).__e2eStack as { stack: RunningStack; timer: NodeJS.Timeout; flush: () => void } | undefined;
  if (!running) return;
  clearInterval(running.timer);
  running.flush();
  await running.stack.stop();
};
