// What the cost model needs from compiled CloudFormation templates: each
// function's memory, architecture and timeout (Lambda's defaults when the
// template leaves them out), which functions an HTTP route or an SQS queue
// invokes, and what a stage keeps whether or not it is used (alarms,
// dashboards, KMS keys, secrets, event source mappings, log retention).

/** @typedef {{ Resources?: Record<string, { Type: string, Properties?: Record<string, any> }> }} Template */

/** @param {Template} template @param {string} type */
const ofType = (template, type) => Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);

/** The logical id a property refers to (Ref, or Fn::GetAtt's resource). @param {any} value @returns {string | undefined} */
const refOf = (value) => {
  if (value && typeof value === 'object') {
    if (typeof value.Ref === 'string') return value.Ref;
    const att = value['Fn::GetAtt'];
    if (Array.isArray(att)) return att[0];
    if (typeof att === 'string') return att.split('.')[0];
  }
  return undefined;
};

/**
 * @typedef {{ name: string, memoryMb: number, architecture: string, timeoutMs: number, traced: boolean, http: boolean, sqs: boolean, scheduled: boolean }} FunctionConfig
 */

/**
 * Every function of these templates, by its FunctionName.
 * @param {Template[]} templates @returns {Map<string, FunctionConfig>}
 */
export const functionConfigs = (templates) => {
  /** @type {Map<string, FunctionConfig>} */
  const out = new Map();
  for (const template of templates) {
    const resources = template.Resources ?? {};
    /** @type {Map<string, string>} logical id → FunctionName */
    const names = new Map();
    for (const [id, { Properties: p = {} }] of ofType(template, 'AWS::Lambda::Function')) {
      const name = String(p.FunctionName ?? id);
      names.set(id, name);
      out.set(name, {
        name,
        memoryMb: Number(p.MemorySize ?? 128),
        architecture: String(p.Architectures?.[0] ?? 'x86_64'),
        timeoutMs: Number(p.Timeout ?? 3) * 1000,
        traced: p.TracingConfig?.Mode === 'Active',
        http: false,
        sqs: false,
        scheduled: false,
      });
    }
    for (const [, { Properties: p = {} }] of ofType(template, 'AWS::Lambda::EventSourceMapping')) {
      const fn = out.get(names.get(refOf(p.FunctionName) ?? '') ?? String(p.FunctionName));
      const source = resources[refOf(p.EventSourceArn) ?? ''];
      if (fn && source?.Type === 'AWS::SQS::Queue') fn.sqs = true;
    }
    for (const { functionId } of schedulesOf(template)) {
      const fn = out.get(names.get(functionId) ?? '');
      if (fn) fn.scheduled = true;
    }
    for (const [, { Properties: p = {} }] of ofType(template, 'AWS::Lambda::Permission')) {
      const fn = out.get(names.get(refOf(p.FunctionName) ?? '') ?? '');
      if (fn && p.Principal === 'apigateway.amazonaws.com') fn.http = true;
    }
  }
  return out;
};

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const SECONDS = { minute: 60, minutes: 60, hour: 3600, hours: 3600, day: 86400, days: 86400 };

/**
 * The schedules of a template (EventBridge rules and schedules) that invoke a function:
 * the function's logical id, and the seconds between runs (rate expressions; a cron leaves it undefined).
 * @param {Template} template @returns {{ functionId: string, everySeconds: number | undefined, expression: string }[]}
 */
export const schedulesOf = (template) => {
  const rules = ofType(template, 'AWS::Events::Rule').flatMap(([, { Properties: p = {} }]) =>
    p.ScheduleExpression && p.State !== 'DISABLED' ? (p.Targets ?? []).map((/** @type {any} */ t) => ({ arn: t.Arn, expression: String(p.ScheduleExpression) })) : [],
  );
  const schedules = ofType(template, 'AWS::Scheduler::Schedule').flatMap(([, { Properties: p = {} }]) =>
    p.ScheduleExpression && p.State !== 'DISABLED' ? [{ arn: p.Target?.Arn, expression: String(p.ScheduleExpression) }] : [],
  );
  return [...rules, ...schedules].flatMap(({ arn, expression }) => {
    const functionId = refOf(arn);
    const rate = RATE.exec(expression);
    return functionId ? [{ functionId, expression, everySeconds: rate ? Number(rate[1]) * SECONDS[/** @type {keyof typeof SECONDS} */ (rate[2])] : undefined }] : [];
  });
};

/**
 * What one stage keeps, from all its services' templates (see model.mjs StageFacts).
 * @param {Template[]} templates @returns {import('./model.mjs').StageFacts & { logRetentionDays: number | undefined }}
 */
export const stageFacts = (templates) => {
  let alarms = 0;
  let alarmMetrics = 0;
  let sqsEventSourceMappings = 0;
  /** @type {number[]} */
  const retention = [];
  /** @type {{ functionName: string, expression: string, everySeconds: number | undefined }[]} */
  const schedules = [];
  for (const template of templates) {
    for (const s of schedulesOf(template)) {
      const fn = template.Resources?.[s.functionId];
      schedules.push({ functionName: String(fn?.Properties?.FunctionName ?? s.functionId), expression: s.expression, everySeconds: s.everySeconds });
    }
    for (const [, { Properties: p = {} }] of ofType(template, 'AWS::CloudWatch::Alarm')) {
      alarms += 1;
      // A metric-math alarm pays for each metric it reads (its entries with a MetricStat).
      const read = Array.isArray(p.Metrics) ? p.Metrics.filter((/** @type {any} */ m) => m?.MetricStat).length : 1;
      alarmMetrics += Math.max(1, read);
    }
    for (const [, { Properties: p = {} }] of ofType(template, 'AWS::Lambda::EventSourceMapping')) {
      if ((template.Resources ?? {})[refOf(p.EventSourceArn) ?? '']?.Type === 'AWS::SQS::Queue') sqsEventSourceMappings += 1;
    }
    for (const [, { Properties: p = {} }] of ofType(template, 'AWS::Logs::LogGroup')) if (Number.isFinite(p.RetentionInDays)) retention.push(p.RetentionInDays);
  }
  const count = (/** @type {string} */ type) => templates.reduce((n, t) => n + ofType(t, type).length, 0);
  return {
    alarms,
    alarmMetrics,
    compositeAlarms: count('AWS::CloudWatch::CompositeAlarm'),
    dashboards: count('AWS::CloudWatch::Dashboard'),
    kmsKeys: count('AWS::KMS::Key'),
    secrets: count('AWS::SecretsManager::Secret'),
    sqsEventSourceMappings,
    logRetentionDays: retention.length > 0 ? Math.max(...retention) : undefined,
    schedules,
  };
};
