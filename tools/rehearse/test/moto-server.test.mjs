// The three fixes of ../moto_server.py, each against moto's own CloudFormation
// (test_moto_server.py: the behaviour of moto as installed, then fixed), and
// the wrapper as the rehearsal runs it: a server on a free port that reports
// each resource type its CloudFormation skips. moto is a Python package:
// pip install 'moto[server]==5.2.1'.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MOTO_INSTALL, python, startMoto } from '../lib/moto.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const fromFramework = createRequire(createRequire(import.meta.url).resolve('serverless'));
/** @type {typeof import('@aws-sdk/client-cloudformation')} */
const cfn = fromFramework('@aws-sdk/client-cloudformation');

describe('moto_server.py', () => {
  it('fixes ValidateTemplate, change-set stacks’ imports and exports after a change set (python3 -m unittest)', () => {
    const result = spawnSync(python(), ['-m', 'unittest', 'discover', '-s', HERE, '-p', 'test_*.py'], {
      encoding: 'utf8',
      // moto's mock_aws serves what boto3 sends to AWS: an AWS_ENDPOINT_URL_* of the caller's
      // (npm test points the SDKs at its shared emulators) would send the calls there instead.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_'))),
        PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the working tree
      },
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}\n(moto missing? ${MOTO_INSTALL})`);
    assert.match(result.stderr, /Ran 8 tests/);
  });

  describe('as the rehearsal runs it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'moto-test-'));
    /** @type {import('../lib/moto.mjs').Moto} */
    let moto;
    before(async () => {
      moto = await startMoto({ logFile: path.join(dir, 'moto.log') });
    });
    after(async () => {
      await moto?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('listens on loopback, and names each resource type its CloudFormation skipped since a mark', async () => {
      assert.match(moto.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      const cloudFormation = new cfn.CloudFormationClient({
        endpoint: moto.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const mark = moto.mark();
      await cloudFormation.send(
        new cfn.CreateStackCommand({
          StackName: 'skips',
          TemplateBody: JSON.stringify({
            Resources: {
              Queue: { Type: 'AWS::SQS::Queue' },
              Alarm: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: { AlarmName: 'a', AlarmRule: 'TRUE' } },
            },
          }),
        }),
      );
      const { Stacks = [] } = await cloudFormation.send(new cfn.DescribeStacksCommand({ StackName: 'skips' }));
      // What moto reports, although it created no alarm: the reason the rehearsal reads its log.
      assert.equal(Stacks[0]?.StackStatus, 'CREATE_COMPLETE');
      assert.deepEqual([...moto.skippedSince(mark)], ['AWS::CloudWatch::CompositeAlarm']);
      assert.deepEqual([...moto.skippedSince(moto.mark())], []);
    });
  });

  it('without moto, the rehearsal stops with one line saying how to install it', () => {
    const result = spawnSync(process.execPath, [path.join(HERE, '../rehearse.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, REHEARSE_PYTHON: path.join(HERE, 'no-such-python') },
    });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(String(lines[0]), new RegExp(`moto's server is not installed .*: ${MOTO_INSTALL.replace(/[[\]()]/g, '\\$&')}$`));
  });
});
