// Stops the DynamoDB Local that the matching globalSetup started, if it started one.
export default async () => {
  const jvm = globalThis.__dynamodbLocal;
  if (!jvm || jvm.exitCode !== null) return;
  const exited = new Promise((resolve) => jvm.once('exit', resolve));
  process.kill(-jvm.pid, 'SIGTERM');
  await exited;
};
