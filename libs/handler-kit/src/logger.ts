import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

let logger: Logger | undefined;

/**
 * The container's structured JSON logger. The service name and level come
 * from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL, set in serverless.yml.
 */
export const getLogger = (): Logger => {
  logger ??= new Logger();
  return logger;
};

/** The logger, cleared of the previous invocation's keys and stamped with this one's Lambda context. */
export const loggerForInvocation = (context: Context): Logger => {
  const invocationLogger = getLogger();
  invocationLogger.resetKeys();
  invocationLogger.addContext(context);
  return invocationLogger;
};
