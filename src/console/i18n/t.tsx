/** zh-CN first, English beside it: one component for every people-facing string. */
import { zhCN, type MessageKey } from "./zh-CN.ts";
import { en } from "./en.ts";

export const T = ({ k }: { k: MessageKey }) => (
  <>
    {zhCN[k]} <span lang="en" class="en">{en[k]}</span>
  </>
);

/** Both languages as one plain string (titles, attributes). */
export const tt = (k: MessageKey): string => `${zhCN[k]} · ${en[k]}`;
export type { MessageKey };
