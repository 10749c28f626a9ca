/**
 * Syslog messages as the C library's syslog(3) writes them for Kong's lsyslog, with the host
 * name a network receiver expects (RFC 3164): `<PRI>Mmm dd hh:mm:ss host kong[pid]: text`,
 * PRI = facility × 8 + severity.
 */
import type { Facility, Severity } from "./schema.js";

export const SEVERITY_CODES: Record<Severity, number> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

export const FACILITY_CODES: Record<Facility, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** RFC 3164's TIMESTAMP: `Mmm dd hh:mm:ss`, the day space-padded, local time. */
export function bsdTimestamp(d: Date): string {
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function syslogMessage(
  facility: Facility,
  severity: Severity,
  hostname: string,
  text: string,
  now: Date = new Date(),
): string {
  const pri = FACILITY_CODES[facility] * 8 + SEVERITY_CODES[severity];
  return `<${pri}>${bsdTimestamp(now)} ${hostname} kong[${process.pid}]: ${text}`;
}
