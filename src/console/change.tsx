/**
 * The console's change flow: a form POST proposes, the page shows the diff (ConfirmPage), a second
 * POST with `confirm=1` applies through the same domain verb as the API. The proposal rides in a
 * hidden field and is validated again on apply (the admin may send any proposal they could send
 * through the API anyway); `base`, the hash of what the diff was drawn against, refuses an apply
 * when the record changed in between, and shows the new diff instead.
 */
import canonicalize from "canonicalize";
import type { Context } from "hono";
import type { z } from "zod";
import { sha256b64url } from "../crypto/encoding.ts";
import { HurenError } from "../errors.ts";
import { lineDiff, pretty } from "./diff.ts";
import { formOf, type ConsoleEnv } from "./http.ts";
import { ConfirmPage } from "./pages/confirm.tsx";

export interface ChangeSpec<T> {
  what: string;
  /** Where the confirm form posts (the route handling this flow) and where to go after. */
  action: string;
  back: string;
  /** The record as it is now, in the shape of a proposal (undefined: it does not exist yet). */
  current: () => Promise<unknown>;
  schema: z.ZodType<T>;
  /** From the first POST's form: the proposal, or a message to show. */
  propose: (form: URLSearchParams, current: unknown) => unknown;
  apply: (proposal: T) => Promise<void>;
}

const baseOf = async (value: unknown) => sha256b64url(canonicalize(value ?? null) ?? "null");

/** A domain error's message for the page (validation errors with their paths), never a 5xx's. */
export function changeError(err: unknown): string | undefined {
  if (err instanceof HurenError && err.status < 500) {
    return [err.message, ...(err.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(" · ");
  }
  return undefined;
}

export async function changeFlow<T>(c: Context<ConsoleEnv>, spec: ChangeSpec<T>): Promise<Response> {
  const session = c.get("session")!;
  const form = formOf(c);
  const current = await spec.current();
  const render = async (proposal: unknown, extra: { notice?: "changedMeanwhile"; error?: string } = {}, status: 200 | 409 | 422 = 200) =>
    c.html(
      <ConfirmPage
        session={session}
        view={{ what: spec.what, action: spec.action, back: spec.back, diff: lineDiff(pretty(current), pretty(proposal)), proposal: JSON.stringify(proposal), base: await baseOf(current), ...extra }}
      />,
      status,
    );
  const validate = (raw: unknown): { ok: true; value: T } | { ok: false; error: string } => {
    const parsed = spec.schema.safeParse(raw);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: parsed.error.issues.map((i) => `${i.path.join(".") || "$"}: ${i.message}`).join(" · ") };
  };

  if (form.get("confirm") !== "1") {
    let proposal: unknown;
    try {
      proposal = spec.propose(form, current);
    } catch (err) {
      return render(current, { error: err instanceof Error ? err.message : String(err) }, 422);
    }
    const checked = validate(proposal);
    return checked.ok ? render(checked.value) : render(proposal, { error: checked.error }, 422);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(form.get("proposal") ?? "");
  } catch {
    return c.text("400 — 提交内容无效 / the proposal is not JSON", 400);
  }
  const checked = validate(raw);
  if (!checked.ok) return render(raw, { error: checked.error }, 422);
  if ((await baseOf(current)) !== form.get("base")) return render(checked.value, { notice: "changedMeanwhile" }, 409);
  try {
    await spec.apply(checked.value);
  } catch (err) {
    const message = changeError(err);
    if (message === undefined) throw err;
    return render(checked.value, { error: message }, 422);
  }
  return c.redirect(spec.back, 303);
}
