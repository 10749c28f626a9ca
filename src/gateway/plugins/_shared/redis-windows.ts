/**
 * `window_start(period, seconds)`: start (UTC ms) of the window of `period` holding the
 * epoch second `seconds` — fixed UTC calendar windows, as periods.ts's periodStart
 * (months and years by Hinnant's days-from-civil arithmetic: Redis' Lua has no os.date).
 */
export const WINDOW_START_LUA = `
local function floor(x) return math.floor(x) end
local function civil_from_days(days)
  local z = days + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end
local function window_start(period, s)
  if period == 'second' then return s * 1000 end
  if period == 'minute' then return (s - s % 60) * 1000 end
  if period == 'hour' then return (s - s % 3600) * 1000 end
  if period == 'day' then return (s - s % 86400) * 1000 end
  local y, m = civil_from_days(floor(s / 86400))
  if period == 'month' then return days_from_civil(y, m, 1) * 86400000 end
  return days_from_civil(y, 1, 1) * 86400000
end
`;
