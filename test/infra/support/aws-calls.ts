/**
 * The AWS calls the controller makes, read from its code: the scan lives with `alb-warden doctor`, which asks
 * IAM about the deployed role with the same list (functions/cli/doctor/controller-calls.ts).
 */
export {
  ADAPTERS_DIR,
  type AwsCall,
  awsCallsInAdapters,
  commandsOutsideAdapters,
  SERVICE_PREFIX,
} from '../../../functions/cli/doctor/controller-calls.ts';
