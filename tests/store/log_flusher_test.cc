// LogFlusher: overlapping log flushes reported in start order, errors sticky.
#include "log_flusher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "test_util.h"

namespace gorch::store::internal {
namespace {

struct Report {
  uint64_t through;
  bool ok;
};

class Recorder {
 public:
  void Add(uint64_t through, const Status& s) {
    std::lock_guard<std::mutex> l(mu_);
    reports_.push_back(Report{through, s.ok()});
  }
  std::vector<Report> reports() {
    std::lock_guard<std::mutex> l(mu_);
    return reports_;
  }

 private:
  std::mutex mu_;
  std::vector<Report> reports_;
};

TEST(LogFlusherTest, ReportsEveryTicketInStartOrder) {
  testing::TempDir dir;
  std::string path = dir.path() + "/log";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  SyncPoller poller(std::chrono::microseconds(0));
  Recorder rec;
  {
    LogFlusher flusher(4, &poller, [&](uint64_t t, const Status& s) { rec.Add(t, s); });
    for (uint64_t t = 1; t <= 200; ++t) {
      char byte = char(t);
      ASSERT_EQ(pwrite(fd, &byte, 1, off_t(t)), 1);
      flusher.Start(t, fd, path);
    }
    flusher.Drain();
    auto reports = rec.reports();
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.back().through, 200u);  // Drain waited for the last report
    for (size_t i = 0; i < reports.size(); ++i) {
      EXPECT_TRUE(reports[i].ok);
      if (i > 0) EXPECT_GT(reports[i].through, reports[i - 1].through);
    }
  }
  close(fd);
}

TEST(LogFlusherTest, AnErrorIsReportedForItsTicketAndEveryLaterOne) {
  testing::TempDir dir;
  std::string path = dir.path() + "/log";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  SyncPoller poller(std::chrono::microseconds(0));
  Recorder rec;
  LogFlusher flusher(3, &poller, [&](uint64_t t, const Status& s) { rec.Add(t, s); });
  for (uint64_t t = 1; t <= 30; ++t) {
    flusher.Start(t, t == 10 ? -1 : fd, path);  // ticket 10's fdatasync fails (EBADF)
    if (t == 5) flusher.Drain();              // 1..5 reported before the failure
  }
  flusher.Drain();
  auto reports = rec.reports();
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().through, 30u);
  bool saw_through_5 = false;
  for (const Report& r : reports) {
    if (r.through == 5) saw_through_5 = true;
    if (r.through < 10) EXPECT_TRUE(r.ok) << r.through;
    if (r.through >= 10) EXPECT_FALSE(r.ok) << r.through;
  }
  EXPECT_TRUE(saw_through_5);
  close(fd);
}

}  // namespace
}  // namespace gorch::store::internal
