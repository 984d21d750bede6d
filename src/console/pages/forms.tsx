/** Form pieces the audit pages share: the person fields (POST only: ids never in URLs) and the purpose. */
import { T, tt } from "../i18n/t.tsx";

export const Csrf = ({ token }: { token: string }) => <input type="hidden" name="csrf" value={token} />;

export const PersonFields = (props: { required?: boolean }) => (
  <>
    <label>
      <T k="subjectType" />
      <select name="subjectType">
        <option value="resident-id">{tt("residentId")}</option>
        <option value="uscc">{tt("uscc")}</option>
      </select>
    </label>
    <label>
      <T k="subjectId" />
      <input name="subjectId" autocomplete="off" spellcheck={false} maxlength={18} required={props.required} />
    </label>
  </>
);

export const PurposeField = (props: { required?: boolean; value?: string | undefined }) => (
  <label>
    <T k="purpose" />
    <input name="purpose" maxlength={128} required={props.required} value={props.value ?? ""} aria-describedby="purpose-help" />
    <small id="purpose-help">
      <T k="purposeHelp" />
    </small>
  </label>
);
