// A 5-field cron schedule ("minute hour day-of-month month day-of-week", UTC):
// "*", numbers, ranges "a-b", lists "a,b", steps "*/n" and "a-b/n", month and day
// names (jan, mon), 7 as Sunday, and @yearly @monthly @weekly @daily @hourly. As in
// cron, when both day fields are restricted a day matching either one runs.
#pragma once

#include <bitset>
#include <cstdint>
#include <string_view>

#include "gorch/base/status.h"

namespace gorch::engine::ctrl {

class CronSchedule {
 public:
  // InvalidArgument naming the field and what is wrong.
  static Result<CronSchedule> Parse(std::string_view text);
  // The first scheduled time strictly after `after_millis` (Unix ms, on a whole
  // minute), or -1 when none within 5 years (e.g. "0 0 30 2 *").
  int64_t Next(int64_t after_millis) const;

 private:
  bool DayMatches(int64_t days_since_epoch) const;
  std::bitset<60> minute_;
  std::bitset<24> hour_;
  std::bitset<32> dom_;    // 1..31
  std::bitset<13> month_;  // 1..12
  std::bitset<7> dow_;     // 0 = Sunday
  bool dom_star_ = true, dow_star_ = true;
};

}  // namespace gorch::engine::ctrl
