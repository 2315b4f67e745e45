// Starting an HTTP server on a port, as a promise of the port it got (0: any free one).

/** @param {import('node:http').Server} server @param {number} port @param {string} host @returns {Promise<number>} */
export const listen = (server, port, host) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(/** @type {import('node:net').AddressInfo} */ (server.address()).port);
    });
  });
