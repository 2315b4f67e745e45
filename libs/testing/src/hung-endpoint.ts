import { createServer, type Server, type Socket } from 'node:net';

export interface HungEndpoint {
  /** `http://127.0.0.1:<port>`, for an SDK client's `endpoint`. */
  endpoint: string;
  /** How many HTTP requests reached it (each attempt of each call). */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A server that accepts connections, reads the requests and never answers:
 * a store frozen mid-flow (DynamoDB Local under SIGSTOP), as a client sees it.
 */
export const startHungEndpoint = async (): Promise<HungEndpoint> => {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => (requests += (chunk.toString('latin1').match(/^(POST|GET|PUT|DELETE) /gm) ?? []).length));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
