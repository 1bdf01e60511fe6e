// The cron parser and next-time search (cron.h).
#include "controllers/cron.h"

#include <cctype>
#include <string>
#include <vector>

namespace gorch::engine::ctrl {
namespace {

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// A number or a name (names[i] has value i + name_base).
bool ParseValue(std::string_view s, const char* const* names, int name_count, int name_base, int* out) {
  if (s.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) {
    int v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || v > 1000) return false;
      v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
  }
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (int i = 0; i < name_count; ++i) {
    if (lower == names[i]) {
      *out = i + name_base;
      return true;
    }
  }
  return false;
}

// Sets bits lo..hi of one field from its text; false with *why on error.
template <size_t N>
bool ParseField(std::string_view text, int lo, int hi, const char* const* names, int name_count, int name_base,
                std::bitset<N>* bits, bool* star, std::string* why) {
  *star = text == "*" || text == "?";
  for (std::string_view part : Split(text, ',')) {
    int step = 1;
    std::vector<std::string_view> by_step = Split(part, '/');
    if (by_step.size() > 2 || (by_step.size() == 2 && (!ParseValue(by_step[1], nullptr, 0, 0, &step) || step == 0))) {
      *why = "bad step in '" + std::string(part) + "'";
      return false;
    }
    int a = lo, b = hi;
    std::string_view range = by_step[0];
    if (range != "*" && range != "?") {
      std::vector<std::string_view> ends = Split(range, '-');
      if (ends.size() > 2 || !ParseValue(ends[0], names, name_count, name_base, &a) ||
          (ends.size() == 2 && !ParseValue(ends[1], names, name_count, name_base, &b))) {
        *why = "cannot read '" + std::string(part) + "'";
        return false;
      }
      if (ends.size() == 1) b = by_step.size() == 2 ? hi : a;
    }
    if (a < lo || b > hi || a > b) {
      *why = "'" + std::string(part) + "' is outside " + std::to_string(lo) + "-" + std::to_string(hi);
      return false;
    }
    for (int v = a; v <= b; v += step) bits->set(static_cast<size_t>(v));
  }
  return true;
}

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int>(yoe + era * 400 + (*m <= 2));
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  std::string spec(text);
  if (spec == "@yearly" || spec == "@annually") spec = "0 0 1 1 *";
  if (spec == "@monthly") spec = "0 0 1 * *";
  if (spec == "@weekly") spec = "0 0 * * 0";
  if (spec == "@daily" || spec == "@midnight") spec = "0 0 * * *";
  if (spec == "@hourly") spec = "0 * * * *";
  std::vector<std::string_view> fields;
  for (std::string_view f : Split(spec, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument("schedule '" + std::string(text) + "': want 5 fields, got " +
                                   std::to_string(fields.size()));
  }
  CronSchedule s;
  std::string why;
  bool star = false;
  std::bitset<8> dow;
  if (!ParseField(fields[0], 0, 59, nullptr, 0, 0, &s.minute_, &star, &why) ||
      !ParseField(fields[1], 0, 23, nullptr, 0, 0, &s.hour_, &star, &why) ||
      !ParseField(fields[2], 1, 31, nullptr, 0, 0, &s.dom_, &s.dom_star_, &why) ||
      !ParseField(fields[3], 1, 12, kMonths, 12, 1, &s.month_, &star, &why) ||
      !ParseField(fields[4], 0, 7, kDays, 7, 0, &dow, &s.dow_star_, &why)) {
    return Status::InvalidArgument("schedule '" + std::string(text) + "': " + why);
  }
  for (size_t i = 0; i < 7; ++i) s.dow_[i] = dow[i];
  if (dow[7]) s.dow_[0] = true;  // 7 is Sunday too
  return s;
}

bool CronSchedule::DayMatches(int64_t days) const {
  int y, m, d;
  CivilFromDays(days, &y, &m, &d);
  if (!month_[static_cast<size_t>(m)]) return false;
  const int weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  const bool dom = dom_[static_cast<size_t>(d)];
  const bool dow = dow_[static_cast<size_t>(weekday)];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

int64_t CronSchedule::Next(int64_t after_millis) const {
  int64_t minute = (after_millis >= 0 ? after_millis / 60'000 : (after_millis - 59'999) / 60'000) + 1;
  const int64_t limit = minute + 5LL * 366 * 1440;
  while (minute < limit) {
    const int64_t days = minute >= 0 ? minute / 1440 : (minute - 1439) / 1440;
    if (!DayMatches(days)) {
      minute = (days + 1) * 1440;
      continue;
    }
    const int64_t in_day = minute - days * 1440;
    if (!hour_[static_cast<size_t>(in_day / 60)]) {
      minute += 60 - in_day % 60;
      continue;
    }
    if (minute_[static_cast<size_t>(in_day % 60)]) return minute * 60'000;
    ++minute;
  }
  return -1;
}

}  // namespace gorch::engine::ctrl
