/** The figure cards pages open with: a label (Chinese with English) over a number. */
import type { Child } from "hono/jsx";
import { T, type MessageKey } from "../i18n/t.tsx";
import type { Totals } from "../../supervision/window-queries.ts";

/** One card of a `<dl class="figures">`; `id` becomes `data-figure` (tests and print styles find it by that). */
export const Figure = (props: { k: MessageKey; id?: string; headline?: boolean; children: Child }) => (
  <div class={props.headline ? "headline" : undefined}>
    <dt>
      <T k={props.k} />
    </dt>
    <dd data-figure={props.id}>{props.children}</dd>
  </div>
);

/** Supervision totals over a range (a day, a month): certificate-free items first. */
export const TotalsFigures = ({ t, idPrefix = "", children }: { t: Totals; idPrefix?: string; children?: Child }) => (
  <dl class="figures">
    <Figure k="certificateFree" id={`${idPrefix}certificate-free`} headline>
      {t.certificateFree}
    </Figure>
    <Figure k="verifications">{t.verifications}</Figure>
    <Figure k="items">{t.items}</Figure>
    <Figure k="denied">{t.denied}</Figure>
    <Figure k="unavailable">{t.unavailable}</Figure>
    {children}
  </dl>
);
