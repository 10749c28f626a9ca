/**
 * HTTP dates as nginx's ngx_parse_http_time reads them (Kong's ngx.parse_http_time): RFC 1123
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
 * (`Sun Nov  6 08:49:37 1994`). Anything else is no date.
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

const RFC1123 = /^[A-Za-z]+, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Za-z]+ ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function epoch(day: string, month: string, year: number, h: string, m: string, s: string): number | null {
  const mon = MONTHS.indexOf(month.toLowerCase());
  const d = Number(day);
  const [hh, mm, ss] = [Number(h), Number(m), Number(s)];
  if (mon < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 59) return null;
  const ms = Date.UTC(year, mon, d, hh, mm, ss);
  // a day past the month's end (31 Feb) is no date
  return new Date(ms).getUTCDate() === d ? ms / 1000 : null;
}

/** Seconds since the epoch of an HTTP date, or null when it is none. */
export function parseHttpDate(value: string): number | null {
  const text = value.trim();
  let m = RFC1123.exec(text);
  if (m) return epoch(m[1]!, m[2]!, Number(m[3]), m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(text);
  if (m) {
    const yy = Number(m[3]);
    return epoch(m[1]!, m[2]!, yy < 70 ? 2000 + yy : 1900 + yy, m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(text);
  if (m) return epoch(m[2]!.trim(), m[1]!, Number(m[6]), m[3]!, m[4]!, m[5]!);
  return null;
}
