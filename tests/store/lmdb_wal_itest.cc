// The LMDB store's write-ahead log against real files: batches that LMDB lost (its
// file rolled back to the last checkpoint, as after a power cut between
// checkpoints) are replayed from the log; a torn last record is dropped; a damaged
// acknowledged record is Corruption; a format 1 directory is upgraded.
#include <lmdb.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gorch/store/lmdb_store.h"
#include "lmdb_codec.h"
#include "test_util.h"

namespace gorch::store {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

std::vector<std::string> WalFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename();
    if (name.rfind("wal-", 0) == 0 && name != "wal-spare.log") out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class LmdbWalTest : public ::testing::Test {
 protected:
  LmdbOptions Options() {
    LmdbOptions o;
    o.dir = dir_.path();
    o.checkpoint_interval = std::chrono::hours(1);  // no checkpoint while a test writes
    o.checkpoint_bytes = size_t{1} << 30;
    return o;
  }

  // Opens a store, saves data.mdb as it is right after open (synced: the last
  // checkpoint), runs `writes`, saves the log, closes the store (which checkpoints
  // and removes the log), then puts the saved data.mdb and log back: the state a
  // power cut would leave if none of LMDB's unsynced pages had reached the disk.
  void WriteThenRollBackLmdb(const std::function<void(Store&)>& writes) {
    {
      GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
      checkpoint_ = ReadAll(dir_.path() + "/data.mdb");
      writes(*store);
      if (HasFatalFailure()) return;
      for (const std::string& name : WalFiles(dir_.path())) log_[name] = ReadAll(dir_.path() + "/" + name);
      ASSERT_FALSE(log_.empty());
    }
    ASSERT_TRUE(WalFiles(dir_.path()).empty()) << "closing checkpoints and removes the log";
    WriteAll(dir_.path() + "/data.mdb", checkpoint_);
    for (const auto& [name, data] : log_) WriteAll(dir_.path() + "/" + name, data);
  }

  testing::TempDir dir_;
  std::string checkpoint_;
  std::map<std::string, std::string> log_;
};

TEST_F(LmdbWalTest, BatchesLmdbLostAreReplayedFromTheLog) {
  int64_t lease_id = 0;
  std::vector<KeyValue> before;
  int64_t revision_before = 0;
  WriteThenRollBackLmdb([&](Store& store) {
    for (int i = 0; i < 20; ++i) GORCH_ASSERT_OK(store.Put("/a/" + std::to_string(i), std::string(300, char('a' + i))));
    TxnRequest txn;
    txn.success.push_back(Op::Put("/b/1", "one"));
    txn.success.push_back(Op::Put("/b/2", "two"));
    GORCH_ASSERT_OK(store.Txn(txn));
    GORCH_ASSIGN_OR_FAIL(grant, store.LeaseGrant(600));
    lease_id = grant.id;
    GORCH_ASSERT_OK(store.Put("/leased", "x", lease_id));
    GORCH_ASSERT_OK(store.Delete(DeleteRequest::Key("/a/3")));
    GORCH_ASSERT_OK(store.Put("/a/4", "again"));
    GORCH_ASSERT_OK(store.Compact(5));
    GORCH_ASSIGN_OR_FAIL(all, store.Range(RangeRequest::Prefix("/")));
    before = all.kvs;
    revision_before = all.revision;
  });
  if (HasFatalFailure()) return;
  {  // Without the log, the rolled-back file is the store as it was at open.
    LmdbOptions o = Options();
    o.dir = dir_.path() + "/without-log";
    fs::create_directories(o.dir);
    fs::copy_file(dir_.path() + "/data.mdb", o.dir + "/data.mdb");
    GORCH_ASSIGN_OR_FAIL(bare, OpenLmdbStore(o));
    GORCH_ASSIGN_OR_FAIL(stats, bare->Stats());
    ASSERT_EQ(stats.revision, 0) << "the test must roll LMDB back for replay to matter";
  }
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
  EXPECT_TRUE(WalFiles(dir_.path()).size() == 1) << "replay checkpoints and starts one fresh segment";
  GORCH_ASSIGN_OR_FAIL(all, store->Range(RangeRequest::Prefix("/")));
  EXPECT_EQ(all.revision, revision_before);
  ASSERT_EQ(all.kvs.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(all.kvs[i].key, before[i].key);
    EXPECT_EQ(all.kvs[i].value, before[i].value);
    EXPECT_EQ(all.kvs[i].mod_revision, before[i].mod_revision);
    EXPECT_EQ(all.kvs[i].version, before[i].version);
    EXPECT_EQ(all.kvs[i].lease, before[i].lease);
  }
  GORCH_ASSIGN_OR_FAIL(stats, store->Stats());
  EXPECT_EQ(stats.compact_revision, 5);
  GORCH_ASSIGN_OR_FAIL(info, store->LeaseTimeToLive(lease_id, true));
  EXPECT_EQ(info.keys, std::vector<std::string>{"/leased"});
  // History replays too: a watch from the compact revision sees the later changes.
  GORCH_ASSIGN_OR_FAIL(w, store->Watch(WatchRequest::Prefix("/", 5)));
  int64_t last = 0;
  while (last < revision_before) {
    GORCH_ASSIGN_OR_FAIL(events, w->Next(5s));
    ASSERT_FALSE(events.empty());
    for (const Event& e : events) {
      ASSERT_GE(e.kv.mod_revision, last);
      last = e.kv.mod_revision;
    }
  }
  // Writes go on from the replayed revision.
  GORCH_ASSIGN_OR_FAIL(rev, store->Put("/after", "y"));
  EXPECT_EQ(rev, revision_before + 1);
}

TEST_F(LmdbWalTest, ATornLastRecordIsDropped) {
  WriteThenRollBackLmdb([&](Store& store) {
    for (int i = 1; i <= 3; ++i) GORCH_ASSERT_OK(store.Put("/k" + std::to_string(i), "v"));
  });
  if (HasFatalFailure()) return;
  ASSERT_EQ(log_.size(), 1u);
  const std::string path = dir_.path() + "/" + log_.begin()->first;
  std::string log = log_.begin()->second;
  WriteAll(path, log.substr(0, log.size() - 5));  // the last record, cut short
  {
    GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
    GORCH_ASSIGN_OR_FAIL(stats, store->Stats());
    EXPECT_EQ(stats.revision, 2);
    GORCH_ASSIGN_OR_FAIL(k2, store->Get("/k2"));
    EXPECT_TRUE(k2.has_value());
    GORCH_ASSIGN_OR_FAIL(k3, store->Get("/k3"));
    EXPECT_FALSE(k3.has_value());
    GORCH_ASSIGN_OR_FAIL(rev, store->Put("/k3", "again"));
    EXPECT_EQ(rev, 3);
  }
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
  GORCH_ASSIGN_OR_FAIL(k3, store->Get("/k3"));
  ASSERT_TRUE(k3.has_value());
  EXPECT_EQ(k3->value, "again");
}

TEST_F(LmdbWalTest, ZerosAfterTheLastRecordAreATornTail) {
  WriteThenRollBackLmdb([&](Store& store) { GORCH_ASSERT_OK(store.Put("/k1", "v")); });
  if (HasFatalFailure()) return;
  const std::string path = dir_.path() + "/" + log_.begin()->first;
  WriteAll(path, log_.begin()->second + std::string(4096, '\0'));  // a preallocated tail
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
  GORCH_ASSIGN_OR_FAIL(k1, store->Get("/k1"));
  EXPECT_TRUE(k1.has_value());
}

TEST_F(LmdbWalTest, ADamagedAcknowledgedRecordIsCorruption) {
  WriteThenRollBackLmdb([&](Store& store) {
    for (int i = 1; i <= 3; ++i) GORCH_ASSERT_OK(store.Put("/k" + std::to_string(i), std::string(100, 'v')));
  });
  if (HasFatalFailure()) return;
  const std::string path = dir_.path() + "/" + log_.begin()->first;
  std::string log = log_.begin()->second;
  log[40] ^= 0x10;  // inside the first record's payload; two acknowledged records follow
  WriteAll(path, log);
  auto s = OpenLmdbStore(Options());
  EXPECT_TRUE(s.status().IsCorruption()) << s.status().ToString();
  EXPECT_NE(s.status().message().find("acknowledged"), std::string::npos) << s.status().message();
}

TEST_F(LmdbWalTest, AFormat1DirectoryIsUpgraded) {
  {
    GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
    GORCH_ASSERT_OK(store->Put("/old", "data"));
  }
  auto meta_txn = [&](const std::function<void(MDB_txn*, MDB_dbi)>& body) {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    ASSERT_EQ(mdb_env_open(env, dir_.path().c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    MDB_dbi meta;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    body(txn, meta);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  };
  meta_txn([](MDB_txn* txn, MDB_dbi meta) {  // as format 1 wrote it: no wal_seq
    std::string fk = "format_version", wk = "wal_seq", one = internal::EncodeI64(1);
    MDB_val k{fk.size(), fk.data()}, v{one.size(), one.data()}, w{wk.size(), wk.data()};
    ASSERT_EQ(mdb_put(txn, meta, &k, &v, 0), 0);
    ASSERT_EQ(mdb_del(txn, meta, &w, nullptr), 0);
  });
  {
    GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
    GORCH_ASSIGN_OR_FAIL(old, store->Get("/old"));
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->value, "data");
    GORCH_ASSIGN_OR_FAIL(rev, store->Put("/new", "x"));
    EXPECT_EQ(rev, 2);
  }
  meta_txn([](MDB_txn* txn, MDB_dbi meta) {
    std::string fk = "format_version";
    MDB_val k{fk.size(), fk.data()}, v;
    ASSERT_EQ(mdb_get(txn, meta, &k, &v), 0);
    int64_t format = 0;
    ASSERT_TRUE(internal::DecodeI64(std::string_view(static_cast<char*>(v.mv_data), v.mv_size), &format));
    EXPECT_EQ(format, int64_t(kLmdbFormatVersion));
  });
}

TEST_F(LmdbWalTest, CheckpointsKeepTheLogShortAndLoseNothing) {
  LmdbOptions o = Options();
  o.checkpoint_bytes = 8 << 10;  // a checkpoint every few puts
  {
    GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
    for (int i = 0; i < 300; ++i) GORCH_ASSERT_OK(store->Put("/c/" + std::to_string(i), std::string(200, 'c')));
  }
  EXPECT_TRUE(WalFiles(dir_.path()).empty());
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
  GORCH_ASSIGN_OR_FAIL(all, store->Range(RangeRequest::Prefix("/c/")));
  EXPECT_EQ(all.count, 300);
  EXPECT_EQ(all.revision, 300);
}

TEST_F(LmdbWalTest, ARecycledSegmentsOldRecordsAreSkipped) {
  {  // Many checkpoints: segments are recycled, and one is left as the spare.
    LmdbOptions o = Options();
    o.checkpoint_bytes = 4 << 10;
    GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
    for (int i = 0; i < 100; ++i) GORCH_ASSERT_OK(store->Put("/old/" + std::to_string(i), std::string(200, 'o')));
  }
  ASSERT_TRUE(fs::exists(dir_.path() + "/wal-spare.log"));
  // The next open's segment is the spare, overwritten from its start: three new
  // records, then the records of its earlier life.
  WriteThenRollBackLmdb([&](Store& store) {
    for (int i = 0; i < 3; ++i) GORCH_ASSERT_OK(store.Put("/new/" + std::to_string(i), "n"));
  });
  if (HasFatalFailure()) return;
  ASSERT_GT(log_.begin()->second.size(), 3 * 64u) << "the segment should still hold old records";
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));
  GORCH_ASSIGN_OR_FAIL(all, store->Range(RangeRequest::Prefix("/")));
  EXPECT_EQ(all.revision, 103);
  EXPECT_EQ(all.count, 103);
}

TEST_F(LmdbWalTest, WithoutTheLogLmdbSyncsEveryBatch) {
  LmdbOptions o = Options();
  o.wal = false;
  {
    GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(o));
    GORCH_ASSERT_OK(store->Put("/k", "v"));
    EXPECT_TRUE(WalFiles(dir_.path()).empty());
  }
  GORCH_ASSIGN_OR_FAIL(store, OpenLmdbStore(Options()));  // and the log may be turned on later
  GORCH_ASSIGN_OR_FAIL(k, store->Get("/k"));
  EXPECT_TRUE(k.has_value());
}

}  // namespace
}  // namespace gorch::store
