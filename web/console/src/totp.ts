// Second factor: the one-time code field of the sign-in form, and enrolment of an authenticator app (RFC 6238
// TOTP) with recovery codes shown once.
import { api, type Session, type TotpEnrolment } from "./api";
import { h, field, messageArea } from "./dom";

/** The "One-time code" input: digits from an app, or a recovery code (letters and a dash). */
export function codeField(): { wrapper: HTMLElement; input: HTMLInputElement } {
  const input = h("input", { name: "oneTimeCode", autocomplete: "one-time-code", inputmode: "text", maxlength: 16, spellcheck: "false" });
  return { wrapper: field("One-time code", input), input };
}

export async function showTotpEnrolment(session: Session, show: (...content: Node[]) => void, done: () => Promise<void>): Promise<void> {
  const messages = messageArea("totp-messages");
  let enrolment: TotpEnrolment;
  try {
    enrolment = await api<TotpEnrolment>("POST", "/api/auth/totp/enrol");
  } catch (e) {
    messages.error(e instanceof Error ? e.message : String(e));
    show(h("div", { class: "card" }, h("h2", {}, "Set up your authenticator app"), messages.el));
    return;
  }
  const code = codeField();
  code.input.required = true;
  const qr = h("img", { src: `data:image/svg+xml;base64,${btoa(enrolment.qrSvg)}`, alt: `QR code for account ${session.workNumber}`, width: 200, height: 200 });
  const secret = enrolment.secret.replace(/(.{4})/g, "$1 ").trim();
  const form = h("form", { class: "card", "aria-labelledby": "totp-title" },
    h("h2", { id: "totp-title" }, "Set up your authenticator app"),
    h("p", {}, `Your role (${session.role}) signs in with a password and a one-time code. Scan this code with an authenticator app `,
      "(or type the key), then enter the 6-digit code it shows."),
    qr,
    h("p", {}, "Key: ", h("code", { id: "totp-secret" }, secret)),
    h("details", {}, h("summary", {}, "Setup link"), h("code", { id: "totp-uri" }, enrolment.otpauthUri)),
    code.wrapper,
    h("button", { type: "submit" }, "Confirm"),
    messages.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    messages.clear();
    try {
      const result = await api<{ recoveryCodes: string[] }>("POST", "/api/auth/totp/confirm", { code: code.input.value.trim() });
      showRecoveryCodes(result.recoveryCodes, show, done);
    } catch (e) {
      messages.error(e instanceof Error ? e.message : String(e));
      code.input.select();
    }
  });
  show(form);
  code.input.focus();
}

function showRecoveryCodes(codes: string[], show: (...content: Node[]) => void, done: () => Promise<void>): void {
  const next = h("button", { type: "button" }, "I have stored these codes");
  next.addEventListener("click", () => void done());
  show(h("section", { class: "card", "aria-labelledby": "recovery-title" },
    h("h2", { id: "recovery-title" }, "Your recovery codes"),
    h("p", {}, "Each code signs you in once if you lose your phone. Store them somewhere safe now: they are not shown again."),
    h("ul", { id: "recovery-codes" }, ...codes.map((c) => h("li", {}, h("code", {}, c)))),
    next));
  next.focus();
}
