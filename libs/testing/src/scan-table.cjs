// Every row of a local table, read consistently and unmarshalled: what the
// e2e tests and the bench check an outcome against. CommonJS for the same
// reason as local-aws.cjs: TypeScript tests and ES-module tools both load it.
'use strict';

const { ScanCommand } = require('@aws-sdk/client-dynamodb');
const { unmarshall } = require('@aws-sdk/util-dynamodb');

/**
 * @param {import('@aws-sdk/client-dynamodb').DynamoDBClient} client
 * @param {string} table
 * @returns {Promise<Record<string, any>[]>}
 */
const scanTable = async (client, table) => {
  const rows = [];
  let start;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    rows.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return rows;
};

module.exports = { scanTable };
