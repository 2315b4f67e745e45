// SNS and SQS from fauxqs, a pure-JS emulator run inside this process. Its
// queue URLs carry the host sqs.<region>.localhost, which does not resolve:
// every SDK client gets an explicit endpoint instead of following the URL.
import { startFauxqs } from 'fauxqs';

/** @param {number} port */
export const startSnsSqs = async (port) => {
  const server = await startFauxqs({ port, host: 'localhost', logger: false });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, server, stop: () => server.stop() };
};
