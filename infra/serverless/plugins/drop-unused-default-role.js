// serverless-iam-roles-per-function gives every function its own role, but
// the framework still emits its shared default role (IamRoleLambdaExecution),
// granting the union of every function's stream/queue permissions to nobody
// in particular. Once no resource refers to it any more, remove it, so the
// template holds exactly one least-privilege role per function.
// List this plugin after serverless-iam-roles-per-function.
const DEFAULT_ROLE = 'IamRoleLambdaExecution';

/** @param {any} value a template's JSON @param {string} id @returns {boolean} */
const refersTo = (value, id) => {
  if (Array.isArray(value)) return value.some((item) => refersTo(item, id));
  if (typeof value === 'string') return value.includes(`\${${id}}`) || value.includes(`\${${id}.`);
  if (value === null || typeof value !== 'object') return false;
  if (value.Ref === id) return true;
  const getAtt = value['Fn::GetAtt'];
  if (getAtt && (Array.isArray(getAtt) ? getAtt[0] === id : String(getAtt).split('.')[0] === id)) return true;
  return Object.values(value).some((inner) => refersTo(inner, id));
};

class DropUnusedDefaultRole {
  /** @param {import('@platform/serverless-base/types').Serverless} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.drop() };
  }

  drop() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    if (!template.Resources[DEFAULT_ROLE]) return;
    const others = Object.entries(template.Resources).filter(([id]) => id !== DEFAULT_ROLE);
    const used =
      others.some(([, resource]) => refersTo(resource.Properties, DEFAULT_ROLE) || [resource.DependsOn ?? []].flat().includes(DEFAULT_ROLE)) ||
      refersTo(template.Outputs ?? {}, DEFAULT_ROLE);
    if (!used) delete template.Resources[DEFAULT_ROLE];
  }
}

module.exports = DropUnusedDefaultRole;
