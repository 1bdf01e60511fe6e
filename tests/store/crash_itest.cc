// Crash safety of the LMDB store: a child process writes continuously and prints
// every acknowledged write; the test kills it with SIGKILL at random (seeded)
// moments, many times over, reopening the store after each kill and checking that
// every acknowledged write is there at its revision, that revisions have no gaps,
// and that a watch from revision 1 replays every change in order.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "gorch/store/lmdb_store.h"
#include "test_util.h"

namespace gorch::store {
namespace {

using namespace std::chrono_literals;

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child SpawnWriter(const std::string& dir, int run, bool checkpoints) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::string run_s = std::to_string(run);
    if (checkpoints) {
      execl(GORCH_CRASH_WRITER, GORCH_CRASH_WRITER, dir.c_str(), run_s.c_str(), "checkpoints",
            static_cast<char*>(nullptr));
    } else {
      execl(GORCH_CRASH_WRITER, GORCH_CRASH_WRITER, dir.c_str(), run_s.c_str(), static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads what is available within `wait`, appending to *buf; false at EOF.
bool ReadSome(int fd, std::string* buf, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, int(wait.count())) <= 0) return true;
  char chunk[65536];
  ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n <= 0) return false;
  buf->append(chunk, size_t(n));
  return true;
}

// Parses complete lines "<rev> <key>"; a torn last line was never fully printed.
void ParseAcks(const std::string& out, std::map<std::string, int64_t>* acked, bool* opened) {
  std::istringstream in(out.substr(0, out.rfind('\n') + 1));
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    std::string key = line.substr(space + 1);
    if (key == "/opened") {
      *opened = true;
      continue;
    }
    (*acked)[key] = std::stoll(line.substr(0, space));
  }
}

void VerifyStore(const std::string& dir, const std::map<std::string, int64_t>& acked) {
  LmdbOptions o;
  o.dir = dir;
  o.create_if_missing = false;
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
  GORCH_ASSIGN_OR_FAIL(stats, store->Stats());
  const int64_t current = stats.revision;

  // Every acknowledged write is there, at the revision it was acknowledged with.
  for (const auto& [key, rev] : acked) {
    GORCH_ASSIGN_OR_FAIL(kv, store->Get(key));
    ASSERT_TRUE(kv.has_value()) << "acknowledged key lost: " << key << " (revision " << rev << ")";
    ASSERT_EQ(kv->mod_revision, rev) << key;
    ASSERT_LE(rev, current);
  }

  // A watch from revision 1 replays every revision 1..current, in order, each once;
  // each acknowledged key appears at its revision.
  GORCH_ASSIGN_OR_FAIL(w, store->Watch(WatchRequest::Prefix("/", 1)));
  int64_t last = 0;
  std::map<std::string, int64_t> seen;
  while (last < current) {
    GORCH_ASSIGN_OR_FAIL(events, w->Next(5s));
    ASSERT_FALSE(events.empty()) << "watch stalled at revision " << last << " of " << current;
    for (const Event& e : events) {
      ASSERT_TRUE(e.kv.mod_revision == last || e.kv.mod_revision == last + 1)
          << "gap or disorder: revision " << e.kv.mod_revision << " after " << last;
      ASSERT_TRUE(seen.emplace(e.kv.key, e.kv.mod_revision).second) << "duplicate event for " << e.kv.key;
      last = e.kv.mod_revision;
    }
  }
  EXPECT_EQ(last, current);
  for (const auto& [key, rev] : acked) ASSERT_EQ(seen[key], rev) << key;
}

// Kills the writer kRounds times at seeded random moments, verifying after each.
void KillRepeatedly(int kRounds, bool checkpoints, uint32_t seed) {
  testing::TempDir dir;
  std::mt19937 rng(seed);  // seeded: the same kill schedule every run
  std::map<std::string, int64_t> acked;
  int killed_mid_write = 0;
  for (int run = 0; run < kRounds; ++run) {
    Child child = SpawnWriter(dir.path(), run, checkpoints);
    ASSERT_GT(child.pid, 0);
    std::string out;
    bool opened = false;
    // Wait until the child has the store open, then let it write for 0-80 ms.
    const auto start_deadline = std::chrono::steady_clock::now() + 20s;
    while (out.find("/opened\n") == std::string::npos && std::chrono::steady_clock::now() < start_deadline) {
      if (!ReadSome(child.out, &out, 50ms)) break;
    }
    const auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 80);
    while (std::chrono::steady_clock::now() < kill_at) ReadSome(child.out, &out, 5ms);
    kill(child.pid, SIGKILL);
    while (ReadSome(child.out, &out, 1000ms)) {
    }
    close(child.out);
    int wstatus = 0;
    waitpid(child.pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "writer ended on its own (status " << wstatus << "); output:\n" << out.substr(0, 500);
    size_t before = acked.size();
    ParseAcks(out, &acked, &opened);
    ASSERT_TRUE(opened) << "writer never opened the store in run " << run;
    if (acked.size() > before) ++killed_mid_write;
    VerifyStore(dir.path(), acked);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(killed_mid_write, kRounds / 2) << "most kills should land while writes are in flight";
  std::printf("%zu acknowledged writes checked across %d kills (%d mid-write)\n", acked.size(), kRounds,
              killed_mid_write);
}

TEST(CrashSafety, AcknowledgedWritesSurviveKillNine) { KillRepeatedly(40, false, 20240611); }

// The same with a checkpoint (LMDB sync, log rotation) every 16 KiB of log or 2 ms,
// so that many kills land inside one.
TEST(CrashSafety, AcknowledgedWritesSurviveKillNineDuringCheckpoints) { KillRepeatedly(25, true, 20261123); }

}  // namespace
}  // namespace gorch::store
