// etcd-specific behaviour, each test with its own private etcd: a lost endpoint is
// a clear Unavailable error, a watch resumes without gaps or duplicates across an
// etcd restart, endpoint lists are checked, and a dead endpoint is skipped.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "etcd_process.h"
#include "gorch/store/etcd_store.h"
#include "test_util.h"

namespace gorch::store {
namespace {

using namespace std::chrono_literals;
using testing::EtcdProcess;

// A loopback address where nothing listens.
std::string DeadEndpoint() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

TEST(EtcdStoreOpenTest, OpeningAnUnreachableEndpointFails) {
  EtcdOptions o;
  o.endpoints = DeadEndpoint();
  o.dial_timeout = 2s;
  auto s = OpenEtcdStore(o);
  EXPECT_TRUE(s.status().IsUnavailable()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("cannot reach etcd"), std::string::npos);
}

TEST(EtcdStoreOpenTest, BadEndpointListsAreRejected) {
  for (const char* bad : {"", " , ", "https://127.0.0.1:2379", "no-port", "host:", "host:12x"}) {
    EtcdOptions o;
    o.endpoints = bad;
    EXPECT_TRUE(OpenEtcdStore(o).status().IsInvalidArgument()) << "'" << bad << "'";
  }
}

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdInstalled() && !testing::InCi()) GTEST_SKIP() << "etcd is not installed";
    GORCH_ASSIGN_OR_FAIL(p, EtcdProcess::Start());
    etcd_ = std::move(p);
  }
  EtcdOptions Options() {
    EtcdOptions o;
    o.endpoints = etcd_->endpoint();
    o.request_timeout = 2s;
    return o;
  }
  std::unique_ptr<EtcdProcess> etcd_;
};

TEST_F(EtcdStoreTest, ALostEndpointIsUnavailableAndNamed) {
  GORCH_ASSIGN_OR_FAIL(store, OpenEtcdStore(Options()));
  GORCH_ASSERT_OK(store->Put("/a", "1"));
  GORCH_ASSERT_OK(etcd_->Stop());
  auto put = store->Put("/a", "2");
  EXPECT_TRUE(put.status().IsUnavailable()) << put.status().ToString();
  EXPECT_NE(put.status().message().find(etcd_->endpoint()), std::string::npos) << put.status().message();
  EXPECT_TRUE(store->Get("/a").status().IsUnavailable());
  EXPECT_TRUE(store->Watch(WatchRequest::Prefix("/")).status().IsUnavailable());
  EXPECT_TRUE(store->LeaseGrant(10).status().IsUnavailable());
}

TEST_F(EtcdStoreTest, ADeadEndpointInTheListIsSkipped) {
  EtcdOptions o = Options();
  o.endpoints = DeadEndpoint() + ",http://" + etcd_->endpoint();
  GORCH_ASSIGN_OR_FAIL(store, OpenEtcdStore(o));
  GORCH_ASSERT_OK(store->Put("/x", "1"));
  GORCH_ASSIGN_OR_FAIL(x, store->Get("/x"));
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->value, "1");
}

TEST_F(EtcdStoreTest, AWatchResumesAcrossAnEtcdRestartWithoutGapsOrDuplicates) {
  GORCH_ASSIGN_OR_FAIL(store, OpenEtcdStore(Options()));
  GORCH_ASSIGN_OR_FAIL(w, store->Watch(WatchRequest::Prefix("/r/")));
  for (int i = 0; i < 3; ++i) GORCH_ASSERT_OK(store->Put("/r/" + std::to_string(i), "before"));
  std::vector<Event> events;
  while (events.size() < 3) {
    GORCH_ASSIGN_OR_FAIL(batch, w->Next(5s));
    ASSERT_FALSE(batch.empty());
    events.insert(events.end(), batch.begin(), batch.end());
  }
  GORCH_ASSERT_OK(etcd_->Restart());
  // Written right after the restart, likely before the watch is back: it must replay them.
  for (int i = 3; i < 6; ++i) {
    Status s;
    for (int attempt = 0; attempt < 50; ++attempt) {  // the client reconnects first
      s = store->Put("/r/" + std::to_string(i), "after").status();
      if (!s.IsUnavailable()) break;
      std::this_thread::sleep_for(100ms);
    }
    GORCH_ASSERT_OK(s);
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (events.size() < 6 && std::chrono::steady_clock::now() < deadline) {
    GORCH_ASSIGN_OR_FAIL(batch, w->Next(500ms));
    events.insert(events.end(), batch.begin(), batch.end());
  }
  ASSERT_EQ(events.size(), 6u);
  std::set<std::string> keys;
  for (size_t i = 0; i < events.size(); ++i) {
    keys.insert(events[i].kv.key);
    if (i > 0) {
      EXPECT_EQ(events[i].kv.mod_revision, events[i - 1].kv.mod_revision + 1);
    }
  }
  EXPECT_EQ(keys.size(), 6u);
  GORCH_ASSIGN_OR_FAIL(more, w->Next(300ms));
  EXPECT_TRUE(more.empty());
}

TEST_F(EtcdStoreTest, AWatchGivesUpAfterItsReconnectWindow) {
  EtcdOptions o = Options();
  o.watch_reconnect_window = 1s;
  GORCH_ASSIGN_OR_FAIL(store, OpenEtcdStore(o));
  GORCH_ASSIGN_OR_FAIL(w, store->Watch(WatchRequest::Prefix("/")));
  GORCH_ASSERT_OK(etcd_->Stop());
  Status last;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (last.ok() && std::chrono::steady_clock::now() < deadline) {
    last = w->Next(500ms).status();
  }
  EXPECT_TRUE(last.IsUnavailable()) << last.ToString();
}

}  // namespace
}  // namespace gorch::store
