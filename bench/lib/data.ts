/**
 * Invented people and companies for the benchmark, generated deterministically from a seed so
 * that every run asks the same questions. Ids carry valid check digits (GB 11643, GB 32100).
 */
import { makeResidentId, makeUscc, USCC_CHARSET } from "../../src/catalog/subject.ts";

export interface Person {
  id: string;
  name: string;
  region: string;
}

export interface Company {
  id: string;
  name: string;
  legalRepresentative: string;
}

/** mulberry32: small, fast, good enough to spread test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Changchun's districts (GB/T 2260): 南关 宽城 朝阳 二道 绿园 双阳.
export const DISTRICTS = ["220102", "220103", "220104", "220105", "220106", "220112"] as const;
const SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文";
const GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志玲斌宇浩凯健俊帆帅旭宁龙林欣怡梓涵子轩一诺雨泽晨曦";

const pick = <T>(list: ArrayLike<T>, r: () => number): T => list[Math.floor(r() * list.length)]!;
const pad = (n: number, w: number) => String(n).padStart(w, "0");

function chineseName(r: () => number): string {
  const given = pick(GIVEN, r) + (r() < 0.7 ? pick(GIVEN, r) : "");
  return pick(SURNAMES, r) + given;
}

/**
 * `n` distinct residents born 1940–2005 in Changchun's districts.
 * @example makePeople(3, 42)[0] // { id: "220105197304110218", name: "孙静", region: "220105" }
 */
export function makePeople(n: number, seed = 20261121): Person[] {
  const r = prng(seed);
  const seen = new Set<string>();
  const out: Person[] = [];
  for (let guard = 0; out.length < n && guard < n * 10; guard++) {
    const region = pick(DISTRICTS, r);
    const year = 1940 + Math.floor(r() * 66);
    const month = 1 + Math.floor(r() * 12);
    const day = 1 + Math.floor(r() * 28);
    const id = makeResidentId(`${region}${year}${pad(month, 2)}${pad(day, 2)}${pad(Math.floor(r() * 1000), 3)}`);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, name: chineseName(r), region });
  }
  if (out.length < n) throw new Error(`could only make ${out.length} distinct people`);
  return out;
}

/**
 * `n` distinct companies registered in Changchun (USCC 91 = enterprise, ordinary registration).
 * @example makeCompanies(1, 7)[0].id.length // 18
 */
export function makeCompanies(n: number, seed = 20261122): Company[] {
  const r = prng(seed);
  const seen = new Set<string>();
  const out: Company[] = [];
  const trades = ["商贸", "科技", "餐饮", "建材", "物流", "文化传媒", "汽车服务", "农业发展"];
  for (let guard = 0; out.length < n && guard < n * 10; guard++) {
    let body = "";
    for (let i = 0; i < 9; i++) body += pick(USCC_CHARSET, r);
    const id = makeUscc(`91${pick(DISTRICTS, r)}${body}`);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, name: `长春市${pick("甲乙丙丁戊己庚辛壬癸", r)}${pick(GIVEN, r)}${pick(trades, r)}有限公司`, legalRepresentative: chineseName(r) });
  }
  if (out.length < n) throw new Error(`could only make ${out.length} distinct companies`);
  return out;
}
