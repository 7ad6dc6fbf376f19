import { isRequestName, parseRequest, type Result } from '../../preload/contract.ts';
import type { KioskService } from '../core/kiosk-service.ts';

/**
 * The single entry for untrusted payloads from either shell: the method name must be in
 * the contract and the payload must pass its schema before the core sees it. A throw in
 * the core becomes an `internal` error for the caller and a log line here, never a crash.
 */
export async function dispatchRequest(
  kiosk: KioskService,
  method: string,
  payload: unknown,
  log: (message: string) => void = console.error,
): Promise<Result<unknown>> {
  if (!isRequestName(method)) {
    return { ok: false, error: { kind: 'invalid-request', message: `unknown method "${method.slice(0, 64)}"` } };
  }
  const parsed = parseRequest(method, payload);
  if (!parsed.ok) return parsed;
  try {
    return await kiosk.request(method, parsed.value);
  } catch (error) {
    log(`request ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { ok: false, error: { kind: 'internal', message: 'Something went wrong in the terminal. Try again or call an armourer.' } };
  }
}
