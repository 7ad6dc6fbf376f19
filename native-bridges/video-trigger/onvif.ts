import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LinkHealth } from '../device-health.ts';
import { TriggerError, TriggerHealth, assertVideoEvent, type VideoEvent, type VideoTrigger } from './trigger.ts';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const TDS_NS = 'http://www.onvif.org/ver10/device/wsdl';
export const TT_NS = 'http://www.onvif.org/ver10/schema';
const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const PASSWORD_DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export type RelayLogicalState = 'active' | 'inactive';
export type RelayIdleState = 'open' | 'closed';

export interface WsSecurityToken {
  username: string;
  password: string;
  /** Raw nonce bytes (sent Base64); fresh per request in production, fixed in fixtures. */
  nonce: Buffer;
  /** UTC, e.g. 2010-09-16T07:50:45Z. */
  created: string;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[name] ?? '');
}

/** WS-Security UsernameToken PasswordDigest: Base64(SHA1(nonce bytes + created + password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** xs:duration for DelayTime, e.g. 500 ms -> PT0.5S, 2000 ms -> PT2S. */
export function formatXsdDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration must be a non-negative number of ms, got ${ms}`);
  const seconds = Math.round(ms) / 1000;
  return `PT${seconds}S`;
}

/** The subset of xs:duration devices use for DelayTime (PTnHnMn.nS); null otherwise. Never throws. */
export function parseXsdDuration(text: string): number | null {
  const m = /^\s*PT(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,9}(?:\.\d{1,6})?)S)?\s*$/.exec(text);
  if (m === null || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return null;
  return Math.round(((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000);
}

export function buildSecurityHeader(token: WsSecurityToken): string {
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}">` +
    `<wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(token.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST_TYPE}">${passwordDigest(token.nonce, token.created, token.password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_ENCODING}">${token.nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${escapeXml(token.created)}</wsu:Created>` +
    `</wsse:UsernameToken></wsse:Security>`
  );
}

function envelope(token: WsSecurityToken, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${SOAP12_NS}" xmlns:tds="${TDS_NS}" xmlns:tt="${TT_NS}">` +
    `<s:Header>${buildSecurityHeader(token)}</s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** Device service SetRelayOutputSettings: monostable, so the device itself ends the pulse after DelayTime. */
export function buildSetRelayOutputSettings(
  relayToken: string,
  settings: { delayMs: number; idleState: RelayIdleState },
  token: WsSecurityToken,
): string {
  return envelope(
    token,
    `<tds:SetRelayOutputSettings>` +
      `<tds:RelayOutputToken>${escapeXml(relayToken)}</tds:RelayOutputToken>` +
      `<tds:Properties><tt:Mode>Monostable</tt:Mode><tt:DelayTime>${formatXsdDuration(settings.delayMs)}</tt:DelayTime>` +
      `<tt:IdleState>${settings.idleState}</tt:IdleState></tds:Properties>` +
      `</tds:SetRelayOutputSettings>`,
  );
}

export function buildSetRelayOutputState(relayToken: string, state: RelayLogicalState, token: WsSecurityToken): string {
  return envelope(
    token,
    `<tds:SetRelayOutputState>` +
      `<tds:RelayOutputToken>${escapeXml(relayToken)}</tds:RelayOutputToken>` +
      `<tds:LogicalState>${state}</tds:LogicalState>` +
      `</tds:SetRelayOutputState>`,
  );
}

/** SOAP 1.2 action parameter for the Content-Type; some devices route on it. */
export function soapAction(operation: 'SetRelayOutputSettings' | 'SetRelayOutputState'): string {
  return `${TDS_NS}/${operation}`;
}

/** Text of the first element with this local name, whatever its prefix; null if absent. Never throws. */
export function soapElementText(xml: string, localName: string): string | null {
  const m = new RegExp(`<(?:[\\w.-]+:)?${localName}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${localName}\\s*>`).exec(xml);
  return m?.[1] === undefined ? null : unescapeXml(m[1].trim());
}

export interface SoapFault {
  code: string;
  subcode: string | null;
  reason: string;
}

/** The SOAP 1.2 fault in a response, or null if there is none. Never throws. */
export function parseSoapFault(xml: string): SoapFault | null {
  const fault = /<(?:[\w.-]+:)?Fault[\s>][\s\S]*?<\/(?:[\w.-]+:)?Fault\s*>/.exec(xml)?.[0];
  if (fault === undefined) return null;
  const subcodeBlock = /<(?:[\w.-]+:)?Subcode[\s>][\s\S]*?<\/(?:[\w.-]+:)?Subcode\s*>/.exec(fault)?.[0];
  const codeWithoutSub = subcodeBlock === undefined ? fault : fault.replace(subcodeBlock, '');
  return {
    code: soapElementText(codeWithoutSub, 'Value') ?? 'unknown',
    subcode: subcodeBlock === undefined ? null : soapElementText(subcodeBlock, 'Value'),
    reason: soapElementText(fault, 'Text') ?? '',
  };
}

export interface OnvifRelayTriggerOptions {
  name?: string;
  /** The device service, e.g. http://192.0.2.10/onvif/device_service. */
  url: string;
  username: string;
  password: string;
  /** From GetRelayOutputs, e.g. "RelayOutputToken1" or "AlarmOut_0". */
  relayToken: string;
  /** How long the device holds the relay active (DelayTime). Default 1000 ms: long enough for a DVR alarm input to latch. */
  pulseMs?: number;
  idleState?: RelayIdleState;
  timeoutMs?: number;
  now?: () => Date;
  nonce?: () => Buffer;
}

/**
 * Pulses an ONVIF camera's or encoder's relay output, wired to a DVR/NVR alarm input.
 * The relay is set monostable with DelayTime once (again after any fault, in case the
 * device rebooted or someone changed it), then each event is one SetRelayOutputState
 * active: the device ends the pulse itself, so a lost connection can't leave it stuck on.
 * The event's fields are not transmitted: a relay carries only "something happened now".
 */
export class OnvifRelayTrigger implements VideoTrigger {
  readonly name: string;
  private readonly url: URL;
  private readonly options: OnvifRelayTriggerOptions;
  private readonly pulseMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  private readonly nonce: () => Buffer;
  private readonly healthState = new TriggerHealth();
  private readonly inFlight = new Set<{ destroy(): void }>();
  private configured = false;
  private closed = false;

  constructor(options: OnvifRelayTriggerOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new RangeError(`ONVIF device service URL must be http(s), got ${this.url.protocol}`);
    this.options = options;
    this.pulseMs = options.pulseMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.now = options.now ?? (() => new Date());
    this.nonce = options.nonce ?? (() => randomBytes(16));
    this.name = options.name ?? `onvif:${this.url.host}:${options.relayToken}`;
    formatXsdDuration(this.pulseMs);
  }

  health(): LinkHealth {
    return this.healthState.get();
  }

  onHealth(listener: (health: LinkHealth) => void): () => void {
    return this.healthState.on(listener);
  }

  async send(event: VideoEvent): Promise<void> {
    if (this.closed) throw new TriggerError('unreachable', `${this.name} is closed`);
    assertVideoEvent(event);
    try {
      if (!this.configured) {
        await this.call('SetRelayOutputSettings', (token) =>
          buildSetRelayOutputSettings(this.options.relayToken, { delayMs: this.pulseMs, idleState: this.options.idleState ?? 'open' }, token),
        );
        this.configured = true;
      }
      await this.call('SetRelayOutputState', (token) => buildSetRelayOutputState(this.options.relayToken, 'active', token));
      this.healthState.succeeded();
    } catch (error) {
      this.configured = false;
      const triggerError = error instanceof TriggerError ? error : new TriggerError('unreachable', String(error), { cause: error });
      this.healthState.failed(triggerError);
      throw triggerError;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
    this.healthState.closed();
  }

  private token(): WsSecurityToken {
    // Whole seconds in UTC: what most devices parse; they reject a Created far from their own clock.
    const created = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { username: this.options.username, password: this.options.password, nonce: this.nonce(), created };
  }

  private call(operation: 'SetRelayOutputSettings' | 'SetRelayOutputState', build: (token: WsSecurityToken) => string): Promise<void> {
    const body = Buffer.from(build(this.token()), 'utf8');
    const where = `ONVIF ${this.url.host} ${operation}`;
    const headers = {
      'content-type': `application/soap+xml; charset=utf-8; action="${soapAction(operation)}"`,
      'content-length': String(body.length),
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: TriggerError | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(req);
        if (error === null) resolve();
        else reject(error);
      };
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) chunks.push(chunk);
        });
        res.on('error', () => undefined);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const xml = Buffer.concat(chunks).toString('utf8');
          const fault = parseSoapFault(xml);
          if (fault !== null) {
            const sub = fault.subcode === null ? '' : ` ${fault.subcode}`;
            finish(new TriggerError('rejected', `${where}: SOAP fault ${fault.code}${sub}${fault.reason.length > 0 ? `: ${fault.reason}` : ''}`));
          } else if (status >= 200 && status < 300 && /<(?:[\w.-]+:)?Envelope[\s>]/.test(xml)) {
            finish(null);
          } else if (status === 401) {
            finish(new TriggerError('rejected', `${where}: HTTP 401 without a SOAP fault (the device may want HTTP Digest auth, which this trigger does not speak)`));
          } else if (status >= 500) {
            finish(new TriggerError('unreachable', `${where}: HTTP ${status}`));
          } else {
            finish(new TriggerError('protocol', `${where}: HTTP ${status} without a SOAP envelope`));
          }
        });
      };
      const options = { method: 'POST', headers, agent: false as const };
      const req = this.url.protocol === 'https:' ? httpsRequest(this.url, options, onResponse) : httpRequest(this.url, options, onResponse);
      this.inFlight.add(req);
      const timer = setTimeout(() => {
        finish(new TriggerError('timeout', `${where}: no answer within ${this.timeoutMs} ms`));
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => finish(new TriggerError('unreachable', `${where}: ${error.code ?? error.message}`, { cause: error })));
      req.end(body);
    });
  }
}
