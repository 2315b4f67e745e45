// What a function published to SNS, as the enforcing proxy let it through: a
// `publish` hop for the stack's recorder (stack/recorder.mjs), so the local
// console shows every message put on a topic, a subscriber or none.
//
// Cheap, as recording must be: it takes the form parameters the IAM layer
// already read to authorize the call (aws-request.mjs) and keeps each
// message's body as the string sent and its attributes' values; nothing is
// parsed here (the console reads the bodies, when someone looks).
//
// Form parameters, as the AWS SDK sends them (query protocol):
//   Publish       Message, Subject?, MessageAttributes.entry.N.{Name, Value.DataType, Value.StringValue | Value.BinaryValue}
//   PublishBatch  PublishBatchRequestEntries.member.M.{Id, Message, Subject?, MessageAttributes.entry.N.…}

/** The SNS operations that put messages on a topic. */
export const PUBLISH_OPERATIONS = new Set(['Publish', 'PublishBatch']);

/**
 * @typedef {{ body: string, attributes: Record<string, string>, subject?: string, messageId?: string }} PublishedMessage
 *   messageId: SNS's id for it, when known (the proxy does not read the emulator's answer, so not today)
 * @typedef {{ kind: 'publish', at: number, functionName: string, topicArn: string, messages: PublishedMessage[] }} PublishHop
 */

// A parameter of one message: [, batch member, field] with field Message, Subject or MessageAttributes.entry.N.<part>.
const PARAM = /^(?:PublishBatchRequestEntries\.member\.(\d+)\.)?(Message|Subject|MessageAttributes\.entry\.(\d+)\.(Name|Value\.StringValue|Value\.BinaryValue))$/;

/**
 * The hop of a Publish or PublishBatch request, from its form parameters; undefined for any other operation.
 * @param {{ at: number, functionName: string, operation: string, params: Record<string, string> }} call
 * @returns {PublishHop | undefined}
 */
export const publishHop = ({ at, functionName, operation, params }) => {
  if (!PUBLISH_OPERATIONS.has(operation)) return undefined;
  /** @type {Map<number, { body: string, subject?: string, names: Map<number, string>, values: Map<number, string> }>} */
  const members = new Map();
  for (const [name, value] of Object.entries(params)) {
    const match = PARAM.exec(name);
    if (!match) continue;
    const [, member = '0', field, entry, part] = match;
    const index = Number(member);
    let message = members.get(index);
    if (!message) members.set(index, (message = { body: '', names: new Map(), values: new Map() }));
    if (field === 'Message') message.body = value;
    else if (field === 'Subject') message.subject = value;
    else if (part === 'Name') message.names.set(Number(entry), value);
    else if (!message.values.has(Number(entry)) || part === 'Value.StringValue') message.values.set(Number(entry), value);
  }
  const messages = [...members.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, { body, subject, names, values }]) => ({
      body,
      attributes: Object.fromEntries([...names].map(([entry, name]) => [name, values.get(entry) ?? ''])),
      ...(subject !== undefined && { subject }),
    }));
  return { kind: 'publish', at, functionName, topicArn: params.TopicArn ?? params.TargetArn ?? '', messages };
};
