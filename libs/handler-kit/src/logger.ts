import { Logger } from '@aws-lambda-powertools/logger';

let logger: Logger | undefined;

/**
 * The container's structured JSON logger. The service name and level come
 * from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL, set in serverless.yml.
 */
export const getLogger = (): Logger => {
  logger ??= new Logger();
  return logger;
};
