// The store conformance suite: the same tests against the LMDB store (in a temp
// directory) and the etcd store (a private etcd on loopback ports). Revisions are
// asserted relative to the revision at the start of each test, and every test
// works under its own key prefix, so all etcd cases can share one etcd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "etcd_process.h"
#include "gorch/store/etcd_store.h"
#include "gorch/store/lmdb_store.h"
#include "gorch/store/store.h"
#include "test_util.h"

namespace gorch::store {
namespace {

using namespace std::chrono_literals;
using testing::EtcdProcess;
using testing::TempDir;

// One etcd for the whole binary, started on first use.
struct SharedEtcd {
  std::unique_ptr<EtcdProcess> process;
  Status error;
  bool tried = false;
};

SharedEtcd& Etcd() {
  static SharedEtcd shared;
  if (!shared.tried) {
    shared.tried = true;
    auto p = EtcdProcess::Start();
    if (p.ok()) {
      shared.process = std::move(*p);
    } else {
      shared.error = p.status();
    }
  }
  return shared;
}

class StopEtcdAtExit : public ::testing::Environment {
 public:
  void TearDown() override { Etcd().process.reset(); }
};
const auto* const kStopEtcd = ::testing::AddGlobalTestEnvironment(new StopEtcdAtExit);

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "lmdb") {
      LmdbOptions o;
      o.dir = dir_.path();
      o.lease_check_interval = 20ms;
      GORCH_ASSIGN_OR_FAIL(s, OpenLmdbStore(o));
      store_ = std::move(s);
    } else {
      if (!testing::EtcdInstalled() && !testing::InCi()) GTEST_SKIP() << "etcd is not installed";
      SharedEtcd& etcd = Etcd();
      ASSERT_TRUE(etcd.process != nullptr) << etcd.error.ToString();
      EtcdOptions o;
      o.endpoints = etcd.process->endpoint();
      GORCH_ASSIGN_OR_FAIL(s, OpenEtcdStore(o));
      store_ = std::move(s);
    }
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    static int run = 0;  // unique across --gtest_repeat and other processes on one etcd
    prefix_ = "/" + name + "." + std::to_string(getpid()) + "." + std::to_string(++run) + "/";
    base_ = Revision();
  }

  int64_t Revision() {
    auto r = store_->Range(RangeRequest::Key("/revision-probe"));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->revision : -1;
  }

  std::string K(std::string_view s) const { return prefix_ + std::string(s); }

  int64_t MustPut(std::string_view key, std::string_view value, int64_t lease = 0) {
    auto r = store_->Put(K(key), value, lease);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : -1;
  }

  // Collects events until `n` have arrived or `timeout` passes.
  std::vector<Event> Collect(WatchStream& w, size_t n, std::chrono::milliseconds timeout = 10s) {
    std::vector<Event> all;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (all.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto r = w.Next(100ms);
      if (!r.ok()) {
        ADD_FAILURE() << "watch: " << r.status().ToString();
        break;
      }
      all.insert(all.end(), r->begin(), r->end());
    }
    return all;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string prefix_;
  int64_t base_ = 0;
};

TEST_P(ConformanceTest, PutAssignsRevisionsAndVersions) {
  EXPECT_EQ(MustPut("a", "1"), base_ + 1);
  EXPECT_EQ(MustPut("a", "2"), base_ + 2);
  EXPECT_EQ(MustPut("b", "x"), base_ + 3);
  GORCH_ASSIGN_OR_FAIL(a, store_->Get(K("a")));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->create_revision, base_ + 1);
  EXPECT_EQ(a->mod_revision, base_ + 2);
  EXPECT_EQ(a->version, 2);
  EXPECT_EQ(a->lease, 0);
  EXPECT_EQ(Revision(), base_ + 3);
}

TEST_P(ConformanceTest, GetOfMissingKeyIsEmpty) {
  GORCH_ASSIGN_OR_FAIL(a, store_->Get(K("missing")));
  EXPECT_FALSE(a.has_value());
}

TEST_P(ConformanceTest, RangeByPrefixIsOrderedWithLimitCountAndKeysOnly) {
  for (const char* k : {"c", "a", "b", "ab"}) MustPut(k, std::string("v-") + k);
  // Just past the prefix ("/name0" sorts after "/name/..."): not in the range.
  GORCH_ASSERT_OK(store_->Put(prefix_.substr(0, prefix_.size() - 1) + "0", "x"));
  GORCH_ASSIGN_OR_FAIL(all, store_->Range(RangeRequest::Prefix(prefix_)));
  ASSERT_EQ(all.kvs.size(), 4u);
  EXPECT_EQ(all.kvs[0].key, K("a"));
  EXPECT_EQ(all.kvs[1].key, K("ab"));
  EXPECT_EQ(all.kvs[2].key, K("b"));
  EXPECT_EQ(all.kvs[3].key, K("c"));
  EXPECT_EQ(all.kvs[1].value, "v-ab");
  EXPECT_EQ(all.count, 4);
  EXPECT_FALSE(all.more);

  RangeRequest limited = RangeRequest::Prefix(prefix_);
  limited.limit = 2;
  GORCH_ASSIGN_OR_FAIL(two, store_->Range(limited));
  ASSERT_EQ(two.kvs.size(), 2u);
  EXPECT_EQ(two.kvs[1].key, K("ab"));
  EXPECT_EQ(two.count, 4);
  EXPECT_TRUE(two.more);

  RangeRequest counted = RangeRequest::Prefix(prefix_);
  counted.count_only = true;
  GORCH_ASSIGN_OR_FAIL(count, store_->Range(counted));
  EXPECT_TRUE(count.kvs.empty());
  EXPECT_EQ(count.count, 4);

  RangeRequest keys = RangeRequest::Prefix(prefix_);
  keys.keys_only = true;
  GORCH_ASSIGN_OR_FAIL(k, store_->Range(keys));
  ASSERT_EQ(k.kvs.size(), 4u);
  EXPECT_EQ(k.kvs[0].value, "");
  EXPECT_GT(k.kvs[0].mod_revision, base_);
}

TEST_P(ConformanceTest, RangeWithExplicitEndIsHalfOpen) {
  for (const char* k : {"a", "b", "c", "d"}) MustPut(k, "v");
  RangeRequest r;
  r.key = K("b");
  r.range_end = K("d");
  GORCH_ASSIGN_OR_FAIL(got, store_->Range(r));
  ASSERT_EQ(got.kvs.size(), 2u);
  EXPECT_EQ(got.kvs[0].key, K("b"));
  EXPECT_EQ(got.kvs[1].key, K("c"));
  r.range_end = std::string(1, '\0');  // every key from b on
  GORCH_ASSIGN_OR_FAIL(from, store_->Range(r));
  ASSERT_GE(from.kvs.size(), 3u);
  EXPECT_EQ(from.kvs[2].key, K("d"));
}

TEST_P(ConformanceTest, RangeAtPastRevisionIsASnapshot) {
  int64_t r1 = MustPut("a", "a1");
  int64_t r2 = MustPut("b", "b1");
  int64_t r3 = MustPut("a", "a2");
  GORCH_ASSIGN_OR_FAIL(del, store_->Delete(DeleteRequest::Key(K("b"))));
  int64_t r4 = del.revision;
  int64_t r5 = MustPut("c", "c1");
  ASSERT_EQ(r5, base_ + 5);

  GORCH_ASSIGN_OR_FAIL(at2, store_->Range(RangeRequest::Prefix(prefix_, r2)));
  ASSERT_EQ(at2.kvs.size(), 2u);
  EXPECT_EQ(at2.kvs[0].value, "a1");
  EXPECT_EQ(at2.kvs[0].mod_revision, r1);
  EXPECT_EQ(at2.kvs[0].version, 1);
  EXPECT_EQ(at2.kvs[1].value, "b1");

  GORCH_ASSIGN_OR_FAIL(at3, store_->Range(RangeRequest::Prefix(prefix_, r3)));
  ASSERT_EQ(at3.kvs.size(), 2u);
  EXPECT_EQ(at3.kvs[0].value, "a2");
  EXPECT_EQ(at3.kvs[0].create_revision, r1);
  EXPECT_EQ(at3.kvs[0].version, 2);

  GORCH_ASSIGN_OR_FAIL(at4, store_->Range(RangeRequest::Prefix(prefix_, r4)));
  ASSERT_EQ(at4.kvs.size(), 1u);
  EXPECT_EQ(at4.kvs[0].key, K("a"));

  GORCH_ASSIGN_OR_FAIL(b_at2, store_->Get(K("b"), r2));
  ASSERT_TRUE(b_at2.has_value());
  EXPECT_EQ(b_at2->value, "b1");
  GORCH_ASSIGN_OR_FAIL(b_at4, store_->Get(K("b"), r4));
  EXPECT_FALSE(b_at4.has_value());
  GORCH_ASSIGN_OR_FAIL(c_at4, store_->Get(K("c"), r4));
  EXPECT_FALSE(c_at4.has_value());

  RangeRequest counted = RangeRequest::Prefix(prefix_, r3);
  counted.count_only = true;
  GORCH_ASSIGN_OR_FAIL(n, store_->Range(counted));
  EXPECT_EQ(n.count, 2);
}

TEST_P(ConformanceTest, DeleteKeyAndPrefix) {
  MustPut("x/1", "a");
  MustPut("x/2", "b");
  MustPut("y", "c");
  DeleteRequest one = DeleteRequest::Key(K("y"));
  one.prev_kv = true;
  GORCH_ASSIGN_OR_FAIL(d1, store_->Delete(one));
  EXPECT_EQ(d1.deleted, 1);
  EXPECT_EQ(d1.revision, base_ + 4);
  ASSERT_EQ(d1.prev_kvs.size(), 1u);
  EXPECT_EQ(d1.prev_kvs[0].value, "c");

  GORCH_ASSIGN_OR_FAIL(d2, store_->Delete(DeleteRequest::Prefix(K("x/"))));
  EXPECT_EQ(d2.deleted, 2);
  EXPECT_EQ(d2.revision, base_ + 5);  // one revision for both keys

  GORCH_ASSIGN_OR_FAIL(none, store_->Delete(DeleteRequest::Key(K("missing"))));
  EXPECT_EQ(none.deleted, 0);
  EXPECT_EQ(none.revision, base_ + 5);  // nothing changed, no new revision
  GORCH_ASSIGN_OR_FAIL(left, store_->Range(RangeRequest::Prefix(prefix_)));
  EXPECT_TRUE(left.kvs.empty());
}

TEST_P(ConformanceTest, RecreatedKeyStartsAtVersionOne) {
  MustPut("k", "1");
  MustPut("k", "2");
  GORCH_ASSERT_OK(store_->Delete(DeleteRequest::Key(K("k"))));
  int64_t r = MustPut("k", "3");
  GORCH_ASSIGN_OR_FAIL(k, store_->Get(K("k")));
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->version, 1);
  EXPECT_EQ(k->create_revision, r);
}

TEST_P(ConformanceTest, PutReturnsPreviousValueWhenAsked) {
  MustPut("k", "old");
  PutRequest p{K("k"), "new", 0, true};
  GORCH_ASSIGN_OR_FAIL(r, store_->Put(p));
  ASSERT_TRUE(r.prev_kv.has_value());
  EXPECT_EQ(r.prev_kv->value, "old");
  EXPECT_EQ(r.prev_kv->version, 1);
  PutRequest fresh{K("fresh"), "v", 0, true};
  GORCH_ASSIGN_OR_FAIL(f, store_->Put(fresh));
  EXPECT_FALSE(f.prev_kv.has_value());
}

TEST_P(ConformanceTest, TxnCreateIfAbsentRunsOnce) {
  TxnRequest t;
  t.compare.push_back(Compare::Version(K("lock"), Compare::Op::kEqual, 0));
  t.success.push_back(Op::Put(K("lock"), "me"));
  t.failure.push_back(Op::Range(RangeRequest::Key(K("lock"))));
  GORCH_ASSIGN_OR_FAIL(first, store_->Txn(t));
  EXPECT_TRUE(first.succeeded);
  EXPECT_EQ(first.revision, base_ + 1);
  ASSERT_EQ(first.responses.size(), 1u);
  EXPECT_EQ(std::get<PutResponse>(first.responses[0].response).revision, base_ + 1);

  GORCH_ASSIGN_OR_FAIL(second, store_->Txn(t));
  EXPECT_FALSE(second.succeeded);
  EXPECT_EQ(second.revision, base_ + 1);  // a read-only branch makes no revision
  ASSERT_EQ(second.responses.size(), 1u);
  const auto& got = std::get<RangeResponse>(second.responses[0].response);
  ASSERT_EQ(got.kvs.size(), 1u);
  EXPECT_EQ(got.kvs[0].value, "me");
}

TEST_P(ConformanceTest, TxnCompareTargetsAndOperators) {
  int64_t r1 = MustPut("k", "m");
  GORCH_ASSIGN_OR_FAIL(lease, store_->LeaseGrant(60));
  int64_t r2 = MustPut("leased", "v", lease.id);
  using C = Compare;
  using O = Compare::Op;
  struct Case {
    Compare c;
    bool holds;
  } cases[] = {
      {C::Value(K("k"), O::kEqual, "m"), true},
      {C::Value(K("k"), O::kNotEqual, "m"), false},
      {C::Value(K("k"), O::kLess, "n"), true},
      {C::Value(K("k"), O::kGreater, "n"), false},
      {C::Value(K("missing"), O::kNotEqual, "x"), false},  // value compares on missing keys fail
      {C::Version(K("k"), O::kEqual, 1), true},
      {C::Version(K("k"), O::kGreater, 1), false},
      {C::Version(K("missing"), O::kEqual, 0), true},
      {C::CreateRevision(K("k"), O::kEqual, r1), true},
      {C::ModRevision(K("k"), O::kLess, r2), true},
      {C::ModRevision(K("k"), O::kNotEqual, r1), false},
      {C::ModRevision(K("leased"), O::kEqual, r2), true},
      {C::Lease(K("leased"), O::kEqual, lease.id), true},
      {C::Lease(K("k"), O::kEqual, 0), true},
  };
  for (const Case& c : cases) {
    TxnRequest t;
    t.compare.push_back(c.c);
    GORCH_ASSIGN_OR_FAIL(r, store_->Txn(t));
    EXPECT_EQ(r.succeeded, c.holds) << "compare on " << c.c.key << " target " << int(c.c.target) << " op "
                                    << int(c.c.op);
  }
  // All compares must hold.
  TxnRequest both;
  both.compare = {C::Value(K("k"), O::kEqual, "m"), C::Version(K("k"), O::kEqual, 7)};
  GORCH_ASSIGN_OR_FAIL(r, store_->Txn(both));
  EXPECT_FALSE(r.succeeded);
  GORCH_ASSERT_OK(store_->LeaseRevoke(lease.id));
}

TEST_P(ConformanceTest, TxnChangesShareOneRevisionInOrder) {
  MustPut("gone", "x");
  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(WatchRequest::Prefix(prefix_)));
  TxnRequest t;
  t.success.push_back(Op::Put(K("p"), "1"));
  t.success.push_back(Op::Delete(DeleteRequest::Key(K("gone"))));
  t.success.push_back(Op::Put(K("a"), "2"));
  t.success.push_back(Op::Range(RangeRequest::Prefix(prefix_)));  // sees the writes above
  GORCH_ASSIGN_OR_FAIL(r, store_->Txn(t));
  ASSERT_TRUE(r.succeeded);
  EXPECT_EQ(r.revision, base_ + 2);
  const auto& seen = std::get<RangeResponse>(r.responses[3].response);
  ASSERT_EQ(seen.kvs.size(), 2u);
  EXPECT_EQ(seen.kvs[0].key, K("a"));
  EXPECT_EQ(seen.kvs[1].key, K("p"));
  EXPECT_EQ(std::get<DeleteResponse>(r.responses[1].response).deleted, 1);

  auto events = Collect(*w, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kv.key, K("p"));
  EXPECT_EQ(events[1].kv.key, K("gone"));
  EXPECT_EQ(events[1].type, EventType::kDelete);
  EXPECT_EQ(events[2].kv.key, K("a"));
  for (const Event& e : events) EXPECT_EQ(e.kv.mod_revision, base_ + 2);
}

TEST_P(ConformanceTest, TxnRejectsTheSameKeyTwiceInABranch) {
  TxnRequest t;
  t.success.push_back(Op::Put(K("k"), "1"));
  t.success.push_back(Op::Put(K("k"), "2"));
  auto r = store_->Txn(t);
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  TxnRequest u;
  u.success.push_back(Op::Put(K("k/1"), "1"));
  u.success.push_back(Op::Delete(DeleteRequest::Prefix(K("k/"))));
  EXPECT_TRUE(store_->Txn(u).status().IsInvalidArgument());
  EXPECT_EQ(Revision(), base_);
}

TEST_P(ConformanceTest, CompareAndSwapFromManyThreadsLosesNoUpdate) {
  MustPut("counter", "0");
  const int threads = 8;
  const int attempts = GetParam() == "lmdb" ? 60 : 20;
  std::atomic<int> swapped{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < attempts; ++i) {
        auto cur = store_->Get(K("counter"));
        if (!cur.ok() || !cur->has_value()) {
          ++errors;
          continue;
        }
        TxnRequest txn;
        txn.compare.push_back(Compare::ModRevision(K("counter"), Compare::Op::kEqual, (*cur)->mod_revision));
        txn.success.push_back(Op::Put(K("counter"), std::to_string(std::stoi((*cur)->value) + 1)));
        auto r = store_->Txn(txn);
        if (!r.ok()) {
          ++errors;
        } else if (r->succeeded) {
          ++swapped;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(swapped.load(), 0);
  GORCH_ASSIGN_OR_FAIL(c, store_->Get(K("counter")));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(std::stoi(c->value), swapped.load());
  EXPECT_EQ(c->version, swapped.load() + 1);
  EXPECT_EQ(Revision(), base_ + 1 + swapped.load());
}

TEST_P(ConformanceTest, WatchFromPastRevisionReplaysThenFollows) {
  MustPut("a", "1");
  MustPut("b", "1");
  GORCH_ASSERT_OK(store_->Delete(DeleteRequest::Key(K("a"))));
  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(WatchRequest::Prefix(prefix_, base_ + 1)));
  auto replay = Collect(*w, 3);
  ASSERT_EQ(replay.size(), 3u);
  EXPECT_EQ(replay[0].type, EventType::kPut);
  EXPECT_EQ(replay[0].kv.key, K("a"));
  EXPECT_EQ(replay[0].kv.value, "1");
  EXPECT_EQ(replay[0].kv.version, 1);
  EXPECT_EQ(replay[0].kv.mod_revision, base_ + 1);
  EXPECT_EQ(replay[1].kv.mod_revision, base_ + 2);
  EXPECT_EQ(replay[2].type, EventType::kDelete);
  EXPECT_EQ(replay[2].kv, (KeyValue{K("a"), "", 0, base_ + 3, 0, 0}));
  MustPut("c", "live");
  auto live = Collect(*w, 1);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].kv.key, K("c"));
  EXPECT_EQ(live[0].kv.mod_revision, base_ + 4);
  EXPECT_EQ(live[0].kv.create_revision, base_ + 4);
  // Nothing more arrives.
  GORCH_ASSIGN_OR_FAIL(quiet, w->Next(100ms));
  EXPECT_TRUE(quiet.empty());
}

TEST_P(ConformanceTest, WatchFromNowSeesOnlyLaterChangesInItsRange) {
  MustPut("w/before", "x");
  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(WatchRequest::Prefix(K("w/"))));
  MustPut("other", "not watched");
  MustPut("w/after", "y");
  MustPut("w/after", "z");
  auto events = Collect(*w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.key, K("w/after"));
  EXPECT_EQ(events[0].kv.value, "y");
  EXPECT_EQ(events[1].kv.value, "z");
  EXPECT_EQ(events[1].kv.version, 2);
  EXPECT_EQ(events[1].kv.mod_revision, base_ + 4);
}

TEST_P(ConformanceTest, WatchSingleKey) {
  WatchRequest req;
  req.key = K("one");
  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(req));
  MustPut("one/child", "x");
  MustPut("one", "y");
  auto events = Collect(*w, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.key, K("one"));
}

TEST_P(ConformanceTest, CancelUnblocksAWaitingWatch) {
  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(WatchRequest::Prefix(prefix_)));
  std::thread canceler([&] {
    std::this_thread::sleep_for(100ms);
    w->Cancel();
  });
  auto r = w->Next(30s);
  canceler.join();
  EXPECT_EQ(r.status().code(), Status::Code::kAborted) << r.status().ToString();
}

TEST_P(ConformanceTest, CompactionTrimsHistoryButKeepsState) {
  int64_t r1 = MustPut("a", "1");
  MustPut("a", "2");
  int64_t r3 = MustPut("b", "1");
  GORCH_ASSERT_OK(store_->Delete(DeleteRequest::Key(K("b"))));
  int64_t r5 = MustPut("c", "1");
  GORCH_ASSERT_OK(store_->Compact(r5));

  auto old = store_->Range(RangeRequest::Prefix(prefix_, r3));
  EXPECT_TRUE(old.status().IsCompacted()) << old.status().ToString();
  GORCH_ASSIGN_OR_FAIL(at5, store_->Range(RangeRequest::Prefix(prefix_, r5)));
  ASSERT_EQ(at5.kvs.size(), 2u);
  EXPECT_EQ(at5.kvs[0].value, "2");
  EXPECT_EQ(at5.kvs[0].create_revision, r1);
  EXPECT_EQ(at5.kvs[1].key, K("c"));
  GORCH_ASSIGN_OR_FAIL(now, store_->Range(RangeRequest::Prefix(prefix_)));
  EXPECT_EQ(now.kvs.size(), 2u);

  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(WatchRequest::Prefix(prefix_, r1)));
  auto r = w->Next(5s);
  EXPECT_TRUE(r.status().IsCompacted()) << r.status().ToString();

  GORCH_ASSIGN_OR_FAIL(after, store_->Watch(WatchRequest::Prefix(prefix_, r5 + 1)));
  MustPut("d", "1");
  auto events = Collect(*after, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.mod_revision, r5 + 1);

  EXPECT_TRUE(store_->Compact(r5).IsCompacted());
  EXPECT_TRUE(store_->Compact(r5 + 100).IsInvalidArgument());
}

TEST_P(ConformanceTest, LeaseAttachKeepAliveRevoke) {
  GORCH_ASSIGN_OR_FAIL(lease, store_->LeaseGrant(60));
  EXPECT_GT(lease.id, 0);
  EXPECT_EQ(lease.ttl, 60);
  MustPut("node", "alive", lease.id);
  MustPut("plain", "stays");
  GORCH_ASSIGN_OR_FAIL(node, store_->Get(K("node")));
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->lease, lease.id);

  GORCH_ASSIGN_OR_FAIL(info, store_->LeaseTimeToLive(lease.id, true));
  EXPECT_EQ(info.granted_ttl, 60);
  EXPECT_GT(info.ttl, 0);
  EXPECT_LE(info.ttl, 60);
  EXPECT_EQ(info.keys, std::vector<std::string>{K("node")});
  GORCH_ASSIGN_OR_FAIL(ttl, store_->LeaseKeepAlive(lease.id));
  EXPECT_EQ(ttl, 60);

  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(WatchRequest::Prefix(prefix_)));
  int64_t before = Revision();
  GORCH_ASSERT_OK(store_->LeaseRevoke(lease.id));
  auto events = Collect(*w, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kDelete);
  EXPECT_EQ(events[0].kv.key, K("node"));
  EXPECT_EQ(events[0].kv.mod_revision, before + 1);
  GORCH_ASSIGN_OR_FAIL(gone, store_->Get(K("node")));
  EXPECT_FALSE(gone.has_value());
  GORCH_ASSIGN_OR_FAIL(plain, store_->Get(K("plain")));
  EXPECT_TRUE(plain.has_value());

  EXPECT_TRUE(store_->LeaseRevoke(lease.id).IsNotFound());
  EXPECT_TRUE(store_->LeaseKeepAlive(lease.id).status().IsNotFound());
  EXPECT_TRUE(store_->LeaseTimeToLive(lease.id).status().IsNotFound());
  EXPECT_TRUE(store_->Put(K("x"), "v", lease.id).status().IsNotFound());
}

TEST_P(ConformanceTest, LeaseWithChosenIdAndDuplicates) {
  const int64_t id = 0x5eed0000 + (GetParam() == "lmdb" ? 1 : 2) + (base_ << 8);
  GORCH_ASSIGN_OR_FAIL(lease, store_->LeaseGrant(30, id));
  EXPECT_EQ(lease.id, id);
  auto again = store_->LeaseGrant(30, id);
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists) << again.status().ToString();
  GORCH_ASSERT_OK(store_->LeaseRevoke(id));
}

TEST_P(ConformanceTest, ExpiredLeaseDeletesItsKeys) {
  GORCH_ASSIGN_OR_FAIL(lease, store_->LeaseGrant(1));  // etcd raises this to its minimum
  MustPut("ephemeral", "x", lease.id);
  WatchRequest req;
  req.key = K("ephemeral");
  GORCH_ASSIGN_OR_FAIL(w, store_->Watch(req));
  auto events = Collect(*w, 1, 15s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kDelete);
  GORCH_ASSIGN_OR_FAIL(gone, store_->Get(K("ephemeral")));
  EXPECT_FALSE(gone.has_value());
  EXPECT_TRUE(store_->LeaseKeepAlive(lease.id).status().IsNotFound());
}

TEST_P(ConformanceTest, BadInputIsAClearError) {
  EXPECT_TRUE(store_->Put("", "v").status().IsInvalidArgument());
  EXPECT_TRUE(store_->Get("").status().IsInvalidArgument());
  EXPECT_TRUE(store_->Delete(DeleteRequest::Key("")).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Watch(WatchRequest{}).status().IsInvalidArgument());

  std::string long_key = K(std::string(kMaxKeyBytes, 'k'));
  EXPECT_TRUE(store_->Put(long_key, "v").status().IsResourceExhausted());

  auto big = store_->Put(K("big"), std::string(kMaxRequestBytes, 'v'));
  EXPECT_TRUE(big.status().IsResourceExhausted()) << big.status().ToString();
  EXPECT_NE(big.status().message().find("1.5 MiB"), std::string::npos) << big.status().message();
  GORCH_ASSERT_OK(store_->Put(K("one-mib"), std::string(1 << 20, 'v')));
  GORCH_ASSIGN_OR_FAIL(mib, store_->Get(K("one-mib")));
  ASSERT_TRUE(mib.has_value());
  EXPECT_EQ(mib->value.size(), size_t(1) << 20);

  RangeRequest backwards;
  backwards.key = K("b");
  backwards.range_end = K("a");
  EXPECT_TRUE(store_->Range(backwards).status().IsInvalidArgument());
  RangeRequest negative = RangeRequest::Key(K("a"));
  negative.limit = -1;
  EXPECT_TRUE(store_->Range(negative).status().IsInvalidArgument());

  auto future = store_->Range(RangeRequest::Key(K("a"), Revision() + 1000));
  EXPECT_TRUE(future.status().IsInvalidArgument()) << future.status().ToString();
  EXPECT_NE(future.status().message().find("future"), std::string::npos) << future.status().message();

  TxnRequest huge;
  for (size_t i = 0; i <= kMaxTxnOps; ++i) huge.success.push_back(Op::Put(K("t" + std::to_string(i)), "v"));
  EXPECT_TRUE(store_->Txn(huge).status().IsResourceExhausted());
  EXPECT_TRUE(store_->LeaseGrant(0).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Compact(0).IsInvalidArgument());
}

TEST_P(ConformanceTest, StatsReportRevisionAndKeys) {
  MustPut("s1", "v");
  MustPut("s2", "v");
  GORCH_ASSIGN_OR_FAIL(s, store_->Stats());
  EXPECT_EQ(s.revision, base_ + 2);
  EXPECT_GE(s.keys, 2);
  EXPECT_GT(s.size_bytes, 0);
  EXPECT_EQ(s.backend.substr(0, 4), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceTest, ::testing::Values("lmdb", "etcd"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace gorch::store
