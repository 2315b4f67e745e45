#!/usr/bin/env node
// The npm package holding the Node binary of .nvmrc for this machine, as
// package.json's optionalDependencies list them: `name@version`. Apple
// silicon's binary is published under another prefix (node-bin-).
const { readFileSync } = require('node:fs');
const path = require('node:path');

const version = readFileSync(path.join(__dirname, '../../.nvmrc'), 'utf8').trim();
const platform = process.platform === 'win32' ? 'win' : process.platform;
const prefix = process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
const name = `${prefix}-${platform}-${process.arch}`;

if (require.main === module) console.log(`${name}@${version}`);
module.exports = { name, version };
