// Invokes a function through serverless-offline's Lambda API, so the
// function runs with its serverless.yml environment, timeout and bundle.
export const createInvoker = (lambdaPort) => async (functionName, event) => {
  const response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    body: JSON.stringify(event),
  });
  const text = await response.text();
  const payload = text ? JSON.parse(text) : undefined;
  if (response.status !== 200 || response.headers.get('x-amz-function-error')) {
    return { ok: false, error: payload?.errorMessage ?? payload?.Message ?? `HTTP ${response.status}` };
  }
  return { ok: true, payload };
};
