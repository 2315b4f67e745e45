// A service with routes is only as safe as its JWT authorizer: without an
// issuer and an audience, CloudFormation would fail late with a vague error,
// or a hand-made fix might drop the authorizer. Packaging stops here instead,
// naming the stage params to set.
const HOW =
  "set the stage params: serverless deploy --param 'jwtIssuerUrl=https://your-issuer/' --param 'jwtAudience=your-api' " +
  '(or JWT_ISSUER_URL and JWT_AUDIENCE); see docs/deploying.md';

/** Placeholders base.cjs compiles when a stage param is unset; never valid here. */
const JWT_NOT_SET = { issuerUrl: 'https://jwt-issuer-url.not-set.invalid', audience: 'jwt-audience-not-set' };

/** @param {unknown} value */
const isHttpsUrl = (value) => typeof value === 'string' && /^https:\/\/\S+$/.test(value) && value !== JWT_NOT_SET.issuerUrl;
/** @param {unknown} value */
const isAudience = (value) => typeof value === 'string' && value.trim() !== '' && value !== JWT_NOT_SET.audience;

class RequireJwtIssuer {
  /** @param {import('@platform/serverless-base/types').Serverless} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.check() };
  }

  check() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::ApiGatewayV2::Authorizer' || resource.Properties?.AuthorizerType !== 'JWT') continue;
      const { Issuer, Audience = [] } = resource.Properties.JwtConfiguration ?? {};
      if (!isHttpsUrl(Issuer) || Audience.length === 0 || !Audience.every(isAudience)) {
        throw new this.serverless.classes.Error(
          `${id}: the JWT authorizer needs an https issuer URL and an audience (got issuer ${JSON.stringify(Issuer ?? null)}, ` +
            `audience ${JSON.stringify(Audience)}): ${HOW}`,
        );
      }
    }
  }
}

module.exports = RequireJwtIssuer;
module.exports.JWT_NOT_SET = JWT_NOT_SET;
