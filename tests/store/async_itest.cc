// The asynchronous write API (Store::PutAsync / TxnAsync) against both backends:
// every callback runs exactly once, after the write is durable and visible, with
// the result Put / Txn would have returned; errors arrive through the callback;
// a write submitted from a callback is ordered after the write that called it;
// destroying the store runs every outstanding callback. LMDB only: submission
// order is revision order, and what was acknowledged survives reopening.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
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

std::unique_ptr<EtcdProcess> shared_etcd;  // started by the first etcd case
bool shared_etcd_tried = false;

std::unique_ptr<EtcdProcess>& SharedEtcd() {
  std::unique_ptr<EtcdProcess>& process = shared_etcd;
  bool& tried = shared_etcd_tried;
  if (!tried) {
    tried = true;
    auto p = EtcdProcess::Start();
    if (p.ok()) process = std::move(*p);
  }
  return process;
}

class StopEtcdAtExit : public ::testing::Environment {
 public:
  void TearDown() override { shared_etcd.reset(); }  // not SharedEtcd(): that would start one
};
const auto* const kStopEtcd = ::testing::AddGlobalTestEnvironment(new StopEtcdAtExit);

// Counts callbacks and lets a test wait for a number of them.
class Waiter {
 public:
  void Done() {
    std::lock_guard<std::mutex> l(mu_);
    ++done_;
    cv_.notify_all();
  }
  bool WaitFor(int n, std::chrono::milliseconds timeout = 30s) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, timeout, [&] { return done_ >= n; });
  }
  int done() {
    std::lock_guard<std::mutex> l(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
};

class AsyncTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "etcd") {
      if (!testing::EtcdInstalled() && !testing::InCi()) GTEST_SKIP() << "etcd is not installed";
      ASSERT_TRUE(SharedEtcd() != nullptr) << "etcd did not start";
    }
    Open();
    static int run = 0;
    prefix_ = "/async." + std::to_string(getpid()) + "." + std::to_string(++run) + "/";
    auto r = store_->Range(RangeRequest::Key("/revision-probe"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    base_ = r->revision;
  }

  void Open() {
    if (GetParam() == "lmdb") {
      LmdbOptions o;
      o.dir = dir_.path();
      GORCH_ASSIGN_OR_FAIL(s, OpenLmdbStore(o));
      store_ = std::move(s);
    } else {
      EtcdOptions o;
      o.endpoints = SharedEtcd()->endpoint();
      GORCH_ASSIGN_OR_FAIL(s, OpenEtcdStore(o));
      store_ = std::move(s);
    }
  }

  PutRequest P(const std::string& key, std::string value) {
    PutRequest p;
    p.key = prefix_ + key;
    p.value = std::move(value);
    return p;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string prefix_;
  int64_t base_ = 0;
};

TEST_P(AsyncTest, EveryPutIsAcknowledgedOnceDurableAndVisible) {
  constexpr int kWrites = 300;
  std::mutex mu;
  std::map<int, std::vector<int64_t>> revisions;  // write -> the revision of each callback
  Waiter waiter;
  for (int i = 0; i < kWrites; ++i) {  // all in flight at once, from this thread
    store_->PutAsync(P("k" + std::to_string(i), "v" + std::to_string(i)), [&, i](Result<PutResponse> r) {
      {
        std::lock_guard<std::mutex> l(mu);
        revisions[i].push_back(r.ok() ? r->revision : -1);
      }
      waiter.Done();
    });
  }
  ASSERT_TRUE(waiter.WaitFor(kWrites));
  std::set<int64_t> distinct;
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_EQ(revisions[i].size(), 1u) << "write " << i;
    const int64_t rev = revisions[i][0];
    EXPECT_GT(rev, base_);
    EXPECT_LE(rev, base_ + kWrites);
    distinct.insert(rev);
    // Acknowledged means committed: a read sees it at that revision.
    GORCH_ASSIGN_OR_FAIL(kv, store_->Get(prefix_ + "k" + std::to_string(i)));
    ASSERT_TRUE(kv.has_value());
    EXPECT_EQ(kv->value, "v" + std::to_string(i));
    EXPECT_EQ(kv->mod_revision, rev);
  }
  EXPECT_EQ(distinct.size(), size_t(kWrites));
}

TEST_P(AsyncTest, TxnAsyncReturnsTheBranchAndItsResponses) {
  auto create = [&] {
    TxnRequest t;
    t.compare.push_back(Compare::Version(prefix_ + "lock", Compare::Op::kEqual, 0));
    t.success.push_back(Op::Put(prefix_ + "lock", "me"));
    t.failure.push_back(Op::Range(RangeRequest::Key(prefix_ + "lock")));
    return t;
  };
  std::optional<Result<TxnResponse>> first, second;
  Waiter waiter;
  store_->TxnAsync(create(), [&](Result<TxnResponse> r) {
    first = std::move(r);
    // A write submitted from the callback comes after the one that called it.
    store_->TxnAsync(create(), [&](Result<TxnResponse> r2) {
      second = std::move(r2);
      waiter.Done();
    });
  });
  ASSERT_TRUE(waiter.WaitFor(1));
  ASSERT_TRUE(first->ok()) << first->status().ToString();
  EXPECT_TRUE((*first)->succeeded);
  EXPECT_EQ((*first)->revision, base_ + 1);
  ASSERT_TRUE(second->ok()) << second->status().ToString();
  EXPECT_FALSE((*second)->succeeded);
  ASSERT_EQ((*second)->responses.size(), 1u);
  const auto& range = std::get<RangeResponse>((*second)->responses[0].response);
  ASSERT_EQ(range.kvs.size(), 1u);
  EXPECT_EQ(range.kvs[0].value, "me");
  EXPECT_EQ(range.kvs[0].mod_revision, base_ + 1);
}

TEST_P(AsyncTest, AChainOfWritesFromCallbacksGetsIncreasingRevisions) {
  constexpr int kChain = 50;
  std::vector<int64_t> revs;
  Waiter waiter;
  std::function<void(int)> next = [&](int i) {
    store_->PutAsync(P("chain", std::to_string(i)), [&, i](Result<PutResponse> r) {
      revs.push_back(r.ok() ? r->revision : -1);
      if (r.ok() && i + 1 < kChain) {
        next(i + 1);
      } else {
        waiter.Done();
      }
    });
  };
  next(0);
  ASSERT_TRUE(waiter.WaitFor(1));
  ASSERT_EQ(revs.size(), size_t(kChain));
  for (int i = 0; i < kChain; ++i) EXPECT_EQ(revs[i], base_ + 1 + i) << i;
  GORCH_ASSIGN_OR_FAIL(kv, store_->Get(prefix_ + "chain"));
  ASSERT_TRUE(kv.has_value());
  EXPECT_EQ(kv->version, kChain);
}

TEST_P(AsyncTest, ErrorsArriveThroughTheCallback) {
  // Invalid requests: the callback runs before PutAsync returns.
  std::optional<Status> empty_key, too_big, bad_txn;
  store_->PutAsync(PutRequest{}, [&](Result<PutResponse> r) { empty_key = r.status(); });
  ASSERT_TRUE(empty_key.has_value());
  EXPECT_EQ(empty_key->code(), Status::Code::kInvalidArgument) << empty_key->ToString();
  store_->PutAsync(P("big", std::string(kMaxRequestBytes + 1, 'x')),
                   [&](Result<PutResponse> r) { too_big = r.status(); });
  ASSERT_TRUE(too_big.has_value());
  EXPECT_EQ(too_big->code(), Status::Code::kResourceExhausted) << too_big->ToString();
  TxnRequest dup;
  dup.success.push_back(Op::Put(prefix_ + "d", "1"));
  dup.success.push_back(Op::Put(prefix_ + "d", "2"));
  store_->TxnAsync(dup, [&](Result<TxnResponse> r) { bad_txn = r.status(); });
  ASSERT_TRUE(bad_txn.has_value());
  EXPECT_EQ(bad_txn->code(), Status::Code::kInvalidArgument) << bad_txn->ToString();

  // A failure found by the backend (an unknown lease) arrives later, and the write
  // makes no revision.
  std::optional<Status> no_lease;
  Waiter waiter;
  PutRequest p = P("leased", "v");
  p.lease = 0x7eadbeef;
  store_->PutAsync(p, [&](Result<PutResponse> r) {
    no_lease = r.status();
    waiter.Done();
  });
  ASSERT_TRUE(waiter.WaitFor(1));
  EXPECT_EQ(no_lease->code(), Status::Code::kNotFound) << no_lease->ToString();
  GORCH_ASSIGN_OR_FAIL(kv, store_->Get(prefix_ + "leased"));
  EXPECT_FALSE(kv.has_value());
  auto r = store_->Range(RangeRequest::Key("/revision-probe"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->revision, base_);
}

TEST_P(AsyncTest, ClosingTheStoreRunsEveryOutstandingCallback) {
  constexpr int kWrites = 500;
  std::atomic<int> calls{0};
  std::mutex mu;
  std::vector<std::pair<int, int64_t>> acked;  // (write, revision)
  for (int i = 0; i < kWrites; ++i) {
    store_->PutAsync(P("c" + std::to_string(i), "v"), [&, i](Result<PutResponse> r) {
      if (r.ok()) {
        std::lock_guard<std::mutex> l(mu);
        acked.emplace_back(i, r->revision);
      } else {
        EXPECT_EQ(r.status().code(), Status::Code::kUnavailable) << r.status().ToString();
      }
      calls.fetch_add(1);
    });
  }
  store_.reset();  // waits for every callback
  EXPECT_EQ(calls.load(), kWrites);
  Open();  // LMDB: the same directory, reopened; etcd: a new client
  for (auto [i, rev] : acked) {
    GORCH_ASSIGN_OR_FAIL(kv, store_->Get(prefix_ + "c" + std::to_string(i)));
    ASSERT_TRUE(kv.has_value()) << "acknowledged write " << i << " is missing";
    EXPECT_EQ(kv->mod_revision, rev);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncTest, ::testing::Values("lmdb", "etcd"),
                         [](const auto& info) { return info.param; });

// LMDB takes asynchronous writes in submission order.
TEST(LmdbAsyncTest, WritesFromOneThreadGetRevisionsInSubmissionOrder) {
  TempDir dir;
  LmdbOptions o;
  o.dir = dir.path();
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
  constexpr int kWrites = 1000;
  std::vector<int64_t> revs(kWrites, 0);
  Waiter waiter;
  for (int i = 0; i < kWrites; ++i) {
    PutRequest p;
    p.key = "/order/" + std::to_string(i % 10);
    p.value = std::to_string(i);
    store->PutAsync(p, [&, i](Result<PutResponse> r) {
      revs[i] = r.ok() ? r->revision : -1;
      waiter.Done();
    });
  }
  ASSERT_TRUE(waiter.WaitFor(kWrites));
  for (int i = 0; i < kWrites; ++i) EXPECT_EQ(revs[i], i + 1) << i;
}

// A callback that keeps submitting while the store closes gets Unavailable for
// what the closing store no longer takes, and closing does not hang.
TEST(LmdbAsyncTest, ResubmittingFromCallbacksDuringCloseEnds) {
  TempDir dir;
  LmdbOptions o;
  o.dir = dir.path();
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
  Store* raw = store.get();  // store.reset() nulls `store` before the destructor runs
  std::atomic<int> ok{0}, unavailable{0};
  std::function<void(int)> issue = [&](int n) {
    PutRequest p;
    p.key = "/close/" + std::to_string(n);
    p.value = "v";
    raw->PutAsync(p, [&, n](Result<PutResponse> r) {
      if (r.ok()) {
        ok.fetch_add(1);
        issue(n + 64);
      } else if (r.status().code() == Status::Code::kUnavailable) {
        unavailable.fetch_add(1);
      }
    });
  };
  for (int i = 0; i < 64; ++i) issue(i);
  while (ok.load() < 2000) std::this_thread::sleep_for(1ms);
  store.reset();
  EXPECT_EQ(unavailable.load(), 64);  // each of the 64 chains ended with exactly one
}

}  // namespace
}  // namespace gorch::store
