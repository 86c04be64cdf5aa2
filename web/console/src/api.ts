// Every console action is one call to the documented HTTP API; refusals come back as problem details
// (RFC 9457) and are shown to the person as they are, with the HTTP status.

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  errors?: Record<string, string[]>;
  /** "totp" when the sign-in needs (another) one-time code. */
  secondFactor?: string;
}

export class ApiError extends Error {
  constructor(public readonly problem: Problem) {
    super(describe(problem));
  }
}

export function describe(p: Problem): string {
  const parts = [p.title];
  if (p.detail) parts.push(p.detail);
  for (const messages of Object.values(p.errors ?? {})) parts.push(...messages);
  return `${parts.join(" — ")} (HTTP ${p.status})`;
}

/** Sends a JSON request; resolves with the body (undefined on 204) or throws ApiError. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ status: 0, title: "The server cannot be reached", detail: "Check the network and try again." });
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = text ? safeParse(text) : undefined;
  if (!response.ok) {
    const p = (json ?? {}) as Partial<Problem>;
    throw new ApiError({ status: response.status, title: p.title ?? response.statusText ?? "Request failed", detail: p.detail, errors: p.errors, secondFactor: p.secondFactor });
  }
  return json as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export type StaffRole = "Agent" | "Supervisor" | "Quality" | "Admin";

export interface Session {
  workNumber: string;
  displayName: string;
  role: StaffRole;
  permissionLevel: number;
  mustChangePassword: boolean;
  /** "EnrolmentRequired": the session may only enrol an authenticator app. */
  secondFactor?: "NotRequired" | "Verified" | "EnrolmentRequired";
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

export type AgentState = "Offline" | "Available" | "Reserved" | "OnCall" | "WrapUp" | "Break" | "OnText";

export interface AgentStatus {
  workNumber: string;
  state: AgentState;
  since: string | null;
  breakReason: string | null;
  callSid: string | null;
  /** Text requests offered to or held by the agent (several at once, never beside a call). */
  texts: { callSid: string; queue: string; accepted: boolean }[];
}

export interface ScreenPop {
  caller: string;
  language: string | null;
  ivrPath: string[];
  verified: boolean;
  customerTier: string | null;
  request: string | null;
  complaint: boolean;
  selfService: string[];
  previousContacts: number;
  previousContactsDays: number;
}

export interface Offer {
  callSid: string;
  caller: string;
  queue: string;
  waitedSeconds: number;
  offeredAt: string;
  ringDeadline: string;
  screenPop: ScreenPop;
}

export interface WallboardRow {
  queue: string;
  waiting: number;
  oldestWaitSeconds: number | null;
  staffed: number;
  available: number;
  offeredToday: number;
  answeredToday: number;
  abandonedToday: number;
  serviceLevelToday: number | null;
}

export interface Wallboard {
  at: string;
  definition: string;
  queues: WallboardRow[];
}

export interface AgentBoardRow {
  workNumber: string;
  displayName: string;
  state: AgentState;
  since: string | null;
  breakReason: string | null;
  callSid: string | null;
}

export interface AgentStateMessage {
  agent: string;
  state: AgentState;
  reason: string | null;
  at: string;
}

export interface Line {
  flowId: string;
  languages: string[];
}

export interface Announcement {
  flowId: string;
  active: boolean;
  texts: Record<string, string> | null;
  switchedOnBy: string | null;
  switchedOnAt: string | null;
}
