// Stops what the matching globalSetup started, and nothing else.
export default async () => {
  await globalThis.__testEmulators?.stop();
};
