// The CronJob controller's 5-field cron parser and next-time search.
#include <gtest/gtest.h>

#include "../../engine/src/controllers/cron.h"

namespace gorch::engine::ctrl {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t k2024 = 1'704'067'200'000;  // 2024-01-01T00:00:00Z, a Monday

TEST(CronTest, NextTimes) {
  auto every5 = CronSchedule::Parse("*/5 * * * *");
  ASSERT_TRUE(every5.ok());
  EXPECT_EQ(every5->Next(k2024), k2024 + 5 * kMin);
  EXPECT_EQ(every5->Next(k2024 + 1), k2024 + 5 * kMin);
  auto daily = CronSchedule::Parse("30 2 * * *");
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(daily->Next(k2024), k2024 + 150 * kMin);
  auto sunday = CronSchedule::Parse("0 0 * * sun");
  ASSERT_TRUE(sunday.ok());
  EXPECT_EQ(sunday->Next(k2024), k2024 + 6 * 1440 * kMin);  // 2024-01-07
  auto seven = CronSchedule::Parse("0 0 * * 7");
  ASSERT_TRUE(seven.ok());
  EXPECT_EQ(seven->Next(k2024), k2024 + 6 * 1440 * kMin);
  auto feb = CronSchedule::Parse("0 12 29 feb *");
  ASSERT_TRUE(feb.ok());
  EXPECT_EQ(feb->Next(k2024), k2024 + (59 * 1440 + 720) * kMin);  // 2024-02-29 12:00
  // Both day fields restricted: either matches (the 15th, or any Monday).
  auto either = CronSchedule::Parse("0 0 15 * 1");
  ASSERT_TRUE(either.ok());
  EXPECT_EQ(either->Next(k2024), k2024 + 7 * 1440 * kMin);  // Monday 2024-01-08
  auto hourly = CronSchedule::Parse("@hourly");
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(hourly->Next(k2024), k2024 + 60 * kMin);
  auto never = CronSchedule::Parse("0 0 30 2 *");
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(never->Next(k2024), -1);
  auto list = CronSchedule::Parse("10-20/5,45 9 * * mon-fri");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->Next(k2024 + 9 * 60 * kMin + 15 * kMin), k2024 + (9 * 60 + 20) * kMin);
  EXPECT_EQ(list->Next(k2024 + (9 * 60 + 20) * kMin), k2024 + (9 * 60 + 45) * kMin);
}

TEST(CronTest, ErrorsNameTheProblem) {
  auto four = CronSchedule::Parse("* * * *");
  ASSERT_FALSE(four.ok());
  EXPECT_NE(four.status().message().find("want 5 fields, got 4"), std::string::npos);
  auto range = CronSchedule::Parse("61 * * * *");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("'61' is outside 0-59"), std::string::npos);
  EXPECT_FALSE(CronSchedule::Parse("*/0 * * * *").ok());
  EXPECT_FALSE(CronSchedule::Parse("* * * foo *").ok());
}

}  // namespace
}  // namespace gorch::engine::ctrl
