// LMDB-specific behaviour: persistence across reopen, refusal of damaged, foreign,
// newer or busy directories, map growth and its limit, lease expiry driven by an
// injected clock, group commit under many writers, compaction against a model.
#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "gorch/store/lmdb_store.h"
#include "lmdb_codec.h"
#include "test_util.h"

namespace gorch::store {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

class LmdbStoreTest : public ::testing::Test {
 protected:
  LmdbOptions Options() {
    LmdbOptions o;
    o.dir = dir_.path();
    o.lease_check_interval = 5ms;
    return o;
  }
  std::unique_ptr<Store> Open(LmdbOptions o) {
    auto s = OpenLmdbStore(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<Store> Open() { return Open(Options()); }
  std::string DataFile() const { return dir_.path() + "/data.mdb"; }

  std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteFile(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
  }

  // Waits (polling) until `key` is gone; false after 10 s.
  bool WaitGone(Store& s, const std::string& key) {
    for (int i = 0; i < 1000; ++i) {
      auto kv = s.Get(key);
      if (kv.ok() && !kv->has_value()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  TempDir dir_;
};

TEST_F(LmdbStoreTest, ReopenKeepsDataRevisionsAndLeases) {
  int64_t lease_id = 0;
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    GORCH_ASSERT_OK(s->Put("/a", "1"));
    GORCH_ASSERT_OK(s->Put("/a", "2"));
    GORCH_ASSIGN_OR_FAIL(lease, s->LeaseGrant(3600));
    lease_id = lease.id;
    GORCH_ASSERT_OK(s->Put("/leased", "x", lease_id));
    GORCH_ASSERT_OK(s->Compact(2));
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  GORCH_ASSIGN_OR_FAIL(a, s->Get("/a"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->version, 2);
  GORCH_ASSIGN_OR_FAIL(stats, s->Stats());
  EXPECT_EQ(stats.revision, 3);
  EXPECT_EQ(stats.compact_revision, 2);
  EXPECT_EQ(stats.leases, 1);
  GORCH_ASSIGN_OR_FAIL(info, s->LeaseTimeToLive(lease_id, true));
  EXPECT_EQ(info.keys, std::vector<std::string>{"/leased"});
  GORCH_ASSIGN_OR_FAIL(next, s->Put("/b", "1"));
  EXPECT_EQ(next, 4);
}

TEST_F(LmdbStoreTest, ASecondOpenOfTheSameDirectoryIsRefused) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  auto second = OpenLmdbStore(Options());
  EXPECT_TRUE(second.status().IsFailedPrecondition()) << second.status().ToString();
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
}

TEST_F(LmdbStoreTest, MissingStoreWithoutCreateIsNotFound) {
  LmdbOptions o = Options();
  o.dir = dir_.path() + "/nothing-here";
  o.create_if_missing = false;
  EXPECT_TRUE(OpenLmdbStore(o).status().IsNotFound());
  o.dir = dir_.path();  // exists, but holds no store
  EXPECT_TRUE(OpenLmdbStore(o).status().IsNotFound());
}

TEST_F(LmdbStoreTest, ANewerFormatVersionIsRefused) {
  { ASSERT_NE(Open(), nullptr); }
  {  // Rewrite the format version as a newer gorch would.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    ASSERT_EQ(mdb_env_open(env, dir_.path().c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    MDB_dbi meta;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    std::string key = "format_version";
    std::string value = internal::EncodeI64(kLmdbFormatVersion + 1);
    MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
    ASSERT_EQ(mdb_put(txn, meta, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  auto s = OpenLmdbStore(Options());
  EXPECT_TRUE(s.status().IsFailedPrecondition()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("newer"), std::string::npos) << s.status().message();
}

TEST_F(LmdbStoreTest, AFileOfGarbageIsRefused) {
  std::mt19937 rng(7);
  std::string junk(64 << 10, '\0');
  for (char& c : junk) c = char(rng());
  WriteFile(DataFile(), junk);
  auto s = OpenLmdbStore(Options());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
}

TEST_F(LmdbStoreTest, ATruncatedFileIsRefused) {
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    GORCH_ASSERT_OK(s->Put("/a", "1"));
  }
  std::string data = ReadFile(DataFile());
  WriteFile(DataFile(), data.substr(0, 100));
  auto s = OpenLmdbStore(Options());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
}

TEST_F(LmdbStoreTest, AForeignLmdbDatabaseIsRefused) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_open(env, dir_.path().c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  ASSERT_EQ(mdb_dbi_open(txn, nullptr, 0, &dbi), 0);
  std::string key = "someone-else", value = "data";
  MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  auto s = OpenLmdbStore(Options());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("not a gorch store"), std::string::npos);
}

TEST_F(LmdbStoreTest, ADamagedRecordIsRefusedAtOpen) {
  const std::string needle = "NEEDLE-0123456789-NEEDLE-0123456789";
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < 20; ++i) GORCH_ASSERT_OK(s->Put("/k" + std::to_string(i), "v"));
    GORCH_ASSERT_OK(s->Put("/target", needle));
  }
  std::string data = ReadFile(DataFile());
  size_t at = data.find(needle);
  ASSERT_NE(at, std::string::npos);
  data[at + 7] ^= 0x20;  // one flipped bit in a value
  WriteFile(DataFile(), data);
  auto s = OpenLmdbStore(Options());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("checksum"), std::string::npos) << s.status().message();
}

TEST_F(LmdbStoreTest, TheMapGrowsAsNeeded) {
  LmdbOptions o = Options();
  o.initial_map_bytes = 256 << 10;
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  const std::string value(64 << 10, 'x');
  for (int i = 0; i < 100; ++i) GORCH_ASSERT_OK(s->Put("/big/" + std::to_string(i), value));  // ~13 MB with history
  GORCH_ASSIGN_OR_FAIL(stats, s->Stats());
  EXPECT_GT(stats.size_bytes, int64_t(4) << 20);
  GORCH_ASSIGN_OR_FAIL(all, s->Range(RangeRequest::Prefix("/big/")));
  EXPECT_EQ(all.count, 100);
  s.reset();
  auto again = Open(o);  // a file larger than initial_map_bytes opens fine
  ASSERT_NE(again, nullptr);
  GORCH_ASSIGN_OR_FAIL(one, again->Get("/big/99"));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->value, value);
}

TEST_F(LmdbStoreTest, AFullStoreSaysSoAndKeepsServing) {
  LmdbOptions o = Options();
  o.initial_map_bytes = 256 << 10;
  o.max_map_bytes = 1 << 20;
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  const std::string value(64 << 10, 'x');
  Status last;
  int written = 0;
  for (; written < 100; ++written) {
    auto r = s->Put("/fill/" + std::to_string(written), value);
    if (!r.ok()) {
      last = r.status();
      break;
    }
  }
  EXPECT_TRUE(last.IsResourceExhausted()) << last.ToString();
  EXPECT_NE(last.message().find("max_map_bytes"), std::string::npos) << last.message();
  GORCH_ASSIGN_OR_FAIL(all, s->Range(RangeRequest::Prefix("/fill/")));
  EXPECT_EQ(all.count, written);  // the failed write left nothing behind
  GORCH_ASSERT_OK(s->Delete(DeleteRequest::Key("/fill/0")));  // small writes still fit
}

TEST_F(LmdbStoreTest, LeasesExpireByTheInjectedClock) {
  auto clock = std::make_shared<ManualClock>();
  LmdbOptions o = Options();
  o.clock = clock;
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  GORCH_ASSIGN_OR_FAIL(lease, s->LeaseGrant(10));
  GORCH_ASSERT_OK(s->Put("/node", "up", lease.id));
  GORCH_ASSIGN_OR_FAIL(w, s->Watch(WatchRequest::Prefix("/")));

  clock->Advance(9s);
  GORCH_ASSIGN_OR_FAIL(info, s->LeaseTimeToLive(lease.id));
  EXPECT_EQ(info.ttl, 1);
  GORCH_ASSIGN_OR_FAIL(ttl, s->LeaseKeepAlive(lease.id));  // back to 10 s
  EXPECT_EQ(ttl, 10);
  clock->Advance(9s);
  std::this_thread::sleep_for(50ms);  // ten reaper rounds: the lease must survive them
  GORCH_ASSIGN_OR_FAIL(still, s->Get("/node"));
  EXPECT_TRUE(still.has_value());

  clock->Advance(2s);
  ASSERT_TRUE(WaitGone(*s, "/node"));
  GORCH_ASSIGN_OR_FAIL(events, w->Next(5s));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kDelete);
  EXPECT_EQ(events[0].kv.key, "/node");
  EXPECT_TRUE(s->LeaseTimeToLive(lease.id).status().IsNotFound());
  GORCH_ASSIGN_OR_FAIL(stats, s->Stats());
  EXPECT_EQ(stats.leases, 0);
}

TEST_F(LmdbStoreTest, ManyWritersGetDistinctGaplessRevisions) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const int threads = 64, each = 20;
  std::vector<std::vector<int64_t>> revs(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        auto r = s->Put("/w/" + std::to_string(t) + "/" + std::to_string(i), "v");
        revs[t].push_back(r.ok() ? *r : -1);
      }
    });
  }
  for (auto& th : pool) th.join();
  std::set<int64_t> all;
  for (const auto& v : revs) {
    for (size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]);  // each writer's order holds
    all.insert(v.begin(), v.end());
  }
  ASSERT_EQ(all.size(), size_t(threads * each));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), threads * each);
}

TEST_F(LmdbStoreTest, AWatchEndsWhenTheStoreCloses) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  GORCH_ASSIGN_OR_FAIL(w, s->Watch(WatchRequest::Prefix("/")));
  s.reset();
  EXPECT_TRUE(w->Next(1s).status().IsUnavailable());
}

TEST_F(LmdbStoreTest, AWatchThatFallsBehindCompactionIsToldSo) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < 10; ++i) GORCH_ASSERT_OK(s->Put("/k", std::to_string(i)));
  GORCH_ASSIGN_OR_FAIL(w, s->Watch(WatchRequest::Prefix("/", 1)));
  GORCH_ASSERT_OK(s->Compact(8));
  auto r = w->Next(1s);
  EXPECT_TRUE(r.status().IsCompacted()) << r.status().ToString();
  EXPECT_TRUE(w->Next(1s).status().IsCompacted());  // errors stay
}

// Random puts and deletes on a few keys, compactions at random points, and reads at
// every revision still readable, checked against a model of the whole history.
TEST_F(LmdbStoreTest, RangeAtEveryRevisionMatchesAModelAcrossCompactions) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  std::mt19937 rng(42);
  std::vector<std::map<std::string, std::string>> model(1);  // state after each revision
  int64_t compacted = 0;
  for (int step = 0; step < 400; ++step) {
    std::string key = "/m/" + std::to_string(rng() % 12);
    auto next = model.back();
    if (rng() % 4 == 0) {
      GORCH_ASSIGN_OR_FAIL(d, s->Delete(DeleteRequest::Key(key)));
      if (d.deleted == 0) continue;
      next.erase(key);
    } else {
      std::string value = std::to_string(step);
      GORCH_ASSERT_OK(s->Put(key, value));
      next[key] = value;
    }
    model.push_back(next);
    if (rng() % 40 == 0) {
      compacted = int64_t(model.size() - 1) - int64_t(rng() % 10);
      if (compacted < 1) compacted = 1;
      Status c = s->Compact(compacted);
      ASSERT_TRUE(c.ok() || c.IsCompacted()) << c.ToString();
    }
  }
  GORCH_ASSIGN_OR_FAIL(stats, s->Stats());
  ASSERT_EQ(stats.revision, int64_t(model.size() - 1));
  compacted = stats.compact_revision;
  ASSERT_GT(compacted, 0);
  for (int64_t rev = 1; rev < int64_t(model.size()); ++rev) {
    auto r = s->Range(RangeRequest::Prefix("/m/", rev));
    if (rev < compacted) {
      EXPECT_TRUE(r.status().IsCompacted()) << rev;
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::map<std::string, std::string> got;
    for (const KeyValue& kv : r->kvs) got[kv.key] = kv.value;
    EXPECT_EQ(got, model[rev]) << "at revision " << rev << " (compacted at " << compacted << ")";
  }
  // The watch from the compact revision replays into the newest state.
  GORCH_ASSIGN_OR_FAIL(w, s->Watch(WatchRequest::Prefix("/m/", compacted + 1)));
  auto state = model[compacted];
  for (int64_t seen = compacted; seen < stats.revision;) {
    GORCH_ASSIGN_OR_FAIL(events, w->Next(5s));
    ASSERT_FALSE(events.empty());
    for (const Event& e : events) {
      if (e.type == EventType::kPut) state[e.kv.key] = e.kv.value;
      else state.erase(e.kv.key);
      seen = e.kv.mod_revision;
    }
  }
  EXPECT_EQ(state, model.back());
}

}  // namespace
}  // namespace gorch::store
