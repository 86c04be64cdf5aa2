import * as signalR from "@microsoft/signalr";
import { api, ApiError, type Session } from "./api";
import { codeField, showTotpEnrolment } from "./totp";
import { h, field, messageArea } from "./dom";
import { AgentView } from "./agent";
import { SupervisorView } from "./supervisor";
import { QaView } from "./qa";
import { MyEvaluations } from "./my-evaluations";
import { QaReviewDesk } from "./qa-review";
import { OutboundProjectsPanel } from "./outbound-projects";
import "./style.css";

const base = "/console";
const top = document.getElementById("top")!;
const main = document.getElementById("main")!;

/** A view owns part of the page while it is shown and lets go of timers and hub handlers when replaced. */
export interface View {
  dispose(): void;
}

let current: View | null = null;
let hub: signalR.HubConnection | null = null;

function show(view: View | null, ...content: Node[]): void {
  current?.dispose();
  current = view;
  main.replaceChildren(...content);
}

async function start(): Promise<void> {
  try {
    const session = await api<Session>("GET", "/api/auth/me");
    await route(session);
  } catch (e) {
    if (e instanceof ApiError && e.problem.status === 401) return showLogin();
    showLogin(e instanceof Error ? e.message : String(e));
  }
}

function showLogin(message?: string): void {
  top.replaceChildren(h("h1", {}, "Hotline console"));
  const messages = messageArea("login-messages");
  if (message) messages.error(message);
  const workNumber = h("input", { name: "workNumber", autocomplete: "username", required: true, maxlength: 32 });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  // Shown once the server asks for it: supervisors, QA staff and administrators (and agents where required).
  const code = codeField();
  code.wrapper.hidden = true;
  const form = h("form", { class: "card", "aria-labelledby": "login-title" },
    h("h2", { id: "login-title" }, "Sign in"),
    field("Work number", workNumber),
    field("Password", password),
    code.wrapper,
    h("button", { type: "submit" }, "Sign in"),
    messages.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    messages.clear();
    try {
      const oneTimeCode = code.wrapper.hidden ? undefined : code.input.value.trim();
      const session = await api<Session>("POST", "/api/auth/login", { workNumber: workNumber.value.trim(), password: password.value, oneTimeCode });
      password.value = "";
      await route(session);
    } catch (e) {
      if (e instanceof ApiError && e.problem.secondFactor === "totp") {
        const first = code.wrapper.hidden;
        code.wrapper.hidden = false;
        code.input.select();
        if (first) return messages.info("Enter the 6-digit code from your authenticator app, or one of your recovery codes.");
        messages.error(e.message);
        return;
      }
      messages.error(e instanceof Error ? e.message : String(e));
      password.select();
    }
  });
  show(null, form);
  workNumber.focus();
}

function showPasswordChange(session: Session): void {
  renderTop(session, false);
  const messages = messageArea("password-messages");
  const currentPassword = h("input", { name: "currentPassword", type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { name: "newPassword", type: "password", autocomplete: "new-password", required: true });
  const confirm = h("input", { name: "confirmPassword", type: "password", autocomplete: "new-password", required: true });
  const form = h("form", { class: "card", "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, "Choose a new password"),
    h("p", { id: "password-reason" },
      "Your password has expired or was set by an administrator: choose a new one before you continue. ",
      "It needs at least 10 characters mixing letters, digits and symbols, and must differ from the current one."),
    field("Current password", currentPassword),
    field("New password", next),
    field("New password again", confirm),
    h("button", { type: "submit" }, "Change password"),
    messages.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    messages.clear();
    if (next.value !== confirm.value) {
      messages.error("The two new passwords differ.");
      confirm.select();
      return;
    }
    try {
      await api("POST", "/api/auth/password", { currentPassword: currentPassword.value, newPassword: next.value });
      await route(await api<Session>("GET", "/api/auth/me"));
    } catch (e) {
      messages.error(e instanceof Error ? e.message : String(e));
    }
  });
  show(null, form);
  currentPassword.focus();
}

const canSupervise = (s: Session) => s.role === "Supervisor" || s.role === "Admin";
const canTakeCalls = (s: Session) => s.role !== "Quality";
const canReview = (s: Session) => s.role === "Quality" || s.role === "Supervisor";

async function route(session: Session): Promise<void> {
  if (session.mustChangePassword) return showPasswordChange(session);
  if (session.secondFactor === "EnrolmentRequired") {
    renderTop(session, false);
    return showTotpEnrolment(session, (...content) => show(null, ...content), async () => route(await api<Session>("GET", "/api/auth/me")));
  }
  let path = location.pathname.replace(/\/+$/, "");
  // A person without the supervisor role who opens the supervisor console is refused by the API itself (403), not hidden here.
  if (path !== `${base}/agent` && path !== `${base}/supervisor` && path !== `${base}/qa`)
    path = canSupervise(session) ? `${base}/supervisor` : session.role === "Quality" ? `${base}/qa` : `${base}/agent`;
  if (location.pathname !== path) history.replaceState(null, "", path);
  renderTop(session, true);
  const connection = await connectHub();
  if (path === `${base}/supervisor`) {
    const view = new SupervisorView(connection, session);
    show(view, view.el);
  } else if (path === `${base}/qa`) {
    const view = new QaView(session);
    show(view, view.el, new QaReviewDesk(session).el);
  } else if (canTakeCalls(session)) {
    const view = new AgentView(connection, session);
    show(view, view.el, new OutboundProjectsPanel(session).el, new MyEvaluations(session.workNumber).el);
  } else {
    show(null, h("p", { class: "card" }, "Your role has no console here yet."));
  }
}

function renderTop(session: Session, withNav: boolean): void {
  const nav = h("nav", { "aria-label": "Consoles" });
  if (withNav) {
    const link = (path: string, text: string) => {
      const a = h("a", { href: `${base}/${path}` }, text);
      if (location.pathname.startsWith(`${base}/${path}`)) a.setAttribute("aria-current", "page");
      a.addEventListener("click", (event) => {
        event.preventDefault();
        history.pushState(null, "", `${base}/${path}`);
        void route(session);
      });
      return a;
    };
    if (canTakeCalls(session)) nav.append(link("agent", "Agent console"));
    if (canSupervise(session)) nav.append(link("supervisor", "Supervisor console"));
    if (canReview(session)) nav.append(link("qa", "QA console"));
  }
  const logout = h("button", { type: "button", class: "secondary" }, "Sign out");
  logout.addEventListener("click", async () => {
    try {
      await api("POST", "/api/auth/logout");
    } finally {
      await hub?.stop();
      hub = null;
      history.replaceState(null, "", `${base}/`);
      showLogin();
    }
  });
  top.replaceChildren(
    h("h1", {}, "Hotline console"),
    nav,
    h("p", { class: "who" }, `${session.displayName} · ${session.workNumber} · ${session.role} · level ${session.permissionLevel}`),
    logout);
}

/** One hub connection per signed-in page; the cookie session authenticates it. */
async function connectHub(): Promise<signalR.HubConnection> {
  if (hub) return hub;
  hub = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/agent")
    .withAutomaticReconnect()
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  // Views register their handlers before the first "ready", which arrives after start resolves.
  void hub.start().catch((e) => console.warn("Live updates unavailable; the console polls instead", e));
  return hub;
}

window.addEventListener("popstate", () => void start());
void start();
