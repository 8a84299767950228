import { ApiError } from "../api/http.js";
import { OperationError } from "../errors.js";

/** Nomad's check-and-set refusal (nomad/job_endpoint.go): "Enforcing job modify index N: job exists with …". */
export function isJobModifyConflict(err: unknown): err is ApiError {
  return err instanceof ApiError && /^Enforcing job modify index \d+:/.test(err.body.trim());
}

/** Nomad refuses to scale during a deployment (400 "job scaling blocked due to active deployment"). */
export function isScaleBlocked(err: unknown): err is ApiError {
  return err instanceof ApiError && err.status === 400 && /blocked due to active deployment/.test(err.body);
}

/** The refusal of a deploy whose plan another change overtook: nothing of this deploy was registered. */
export function concurrentChange(app: string, err: ApiError): OperationError {
  return new OperationError(
    `${app}: refused: the job changed in Nomad after np planned this deploy (someone else deployed, scaled or rolled it back at the same time); nothing of this deploy was registered (Nomad: ${err.body.trim()})`,
    `see what runs now with \`np status ${app}\`, then run \`np deploy\` again`,
  );
}

/** A change np refuses while another one is rolling out, so two changes never interleave. */
export function busyApp(app: string, what: string): OperationError {
  return new OperationError(
    `${app}: refused: ${what}; np does not start a second change while one is rolling out`,
    `wait for it to end (\`np status ${app}\`), then try again`,
  );
}
