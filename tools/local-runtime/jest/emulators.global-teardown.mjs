// Stops what the matching globalSetup started, and nothing else.
export default async () => {
  await globalThis.__snsSqs?.stop();
  const jvm = globalThis.__dynamodbLocal;
  if (!jvm || jvm.exitCode !== null) return;
  const exited = new Promise((resolve) => jvm.once('exit', resolve));
  process.kill(-jvm.pid, 'SIGTERM');
  await exited;
};
