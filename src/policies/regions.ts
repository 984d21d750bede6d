/**
 * Administrative areas (GB/T 2260 codes, PPCCDD). A province code (PP0000) stands for every code
 * in the province, a city code (PPCC00) for every district in the city. The same reading as
 * `regionCoverage` in src/sources/resolve.ts, kept here because policies import no database code.
 */

/**
 * Does `area` contain `code` (or equal it)?
 * @example regionContains("220100", "220102") // true: Changchun contains Nanguan district
 * @example regionContains("220102", "220100") // false
 * @example regionContains("220000", "220202") // true: Jilin province contains Jilin city's districts
 */
export function regionContains(area: string, code: string): boolean {
  if (area === code) return true;
  if (area.endsWith("0000")) return area.slice(0, 2) === code.slice(0, 2);
  if (area.endsWith("00")) return area.slice(0, 4) === code.slice(0, 4);
  return false;
}

/** Is `code` in one of `areas`? */
export const regionListCovers = (areas: readonly string[], code: string): boolean => areas.some((a) => regionContains(a, code));

/**
 * A certificate issued in `issuer` is "home" for a window in `requester` when one area contains
 * the other: a city department serves its district windows, a city-level window sees its
 * districts' certificates. Anything else (two districts, two cities) is cross-region and needs
 * an agreement in policy.
 * @example isHomeRegion("220102", "220100") // true
 * @example isHomeRegion("220202", "220100") // false: Jilin city vs Changchun
 */
export const isHomeRegion = (requester: string, issuer: string): boolean => regionContains(issuer, requester) || regionContains(requester, issuer);
