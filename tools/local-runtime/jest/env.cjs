// Loaded before every test file: the AWS SDK talks to local emulators with
// throw-away credentials.
require('../aws.cjs').useLocalCredentials();
// Handlers write their metrics (EMF) as deployed functions do, under a namespace of the tests' own.
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'Platform/test';
