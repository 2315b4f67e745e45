// What the deploy configuration knows about the local stage, and all it knows:
// its name, the emulators' account id (serverless-offline cannot resolve Ref or
// Fn::ImportValue, so the local stage spells ARNs out), and the name of the dev
// issuer the local gateway trusts. The local runtime reads these from here, never
// the other way round: deploy code imports no local or test code.
'use strict';

const { LOCAL_STAGE } = require('./lib/names.cjs');

const LOCAL_ACCOUNT_ID = '000000000000';
/** The local stage's JWT issuer and audience. The issuer is a name, never fetched: the local gateway holds its keys. */
const LOCAL_JWT_ISSUER = 'https://dev-issuer.local.invalid';
const LOCAL_JWT_AUDIENCE = 'platform-api';

module.exports = { LOCAL_STAGE, LOCAL_ACCOUNT_ID, LOCAL_JWT_ISSUER, LOCAL_JWT_AUDIENCE };
