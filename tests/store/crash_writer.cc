// The child of the crash-safety test: opens the LMDB store in argv[1] and writes
// from several threads until it is killed. After each write is acknowledged it
// prints "<revision> <key>" (one write(2) per line, so lines never interleave), so
// the parent knows exactly which writes the store promised to keep.
//
// usage: store_crash_writer DIR RUN [checkpoints]
// With "checkpoints", the store checkpoints (syncs LMDB, rotates its write-ahead
// log) every few KiB, so that kills often land inside a checkpoint.
// Keys are /crash/<RUN>/<thread>/<n>; every 7th write is a transaction putting two
// keys (same revision). Values are 0-3 KiB so the map has to grow (it starts at 256 KiB).
// Besides the 4 threads calling Put / Txn, 16 writes at a time are kept in flight
// through PutAsync (keys /crash/<RUN>/async/<n>), each printed from its callback.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gorch/store/lmdb_store.h"

namespace {

void Print(int64_t rev, const std::string& key) {
  std::string line = std::to_string(rev) + " " + key + "\n";
  if (write(STDOUT_FILENO, line.data(), line.size()) < 0) _exit(3);
}

void Writer(gorch::store::Store* store, const std::string& run, int thread) {
  std::mt19937 rng(thread * 7919 + std::stoi(run));
  for (int n = 0;; ++n) {
    std::string key = "/crash/" + run + "/" + std::to_string(thread) + "/" + std::to_string(n);
    std::string value(rng() % 3072, char('a' + n % 26));
    if (n % 7 == 6) {
      gorch::store::TxnRequest txn;
      txn.success.push_back(gorch::store::Op::Put(key, value));
      txn.success.push_back(gorch::store::Op::Put(key + "/pair", value));
      auto r = store->Txn(txn);
      if (!r.ok()) {
        fprintf(stderr, "txn failed: %s\n", r.status().ToString().c_str());
        _exit(2);
      }
      Print(r->revision, key);
      Print(r->revision, key + "/pair");
    } else {
      auto r = store->Put(key, value);
      if (!r.ok()) {
        fprintf(stderr, "put failed: %s\n", r.status().ToString().c_str());
        _exit(2);
      }
      Print(*r, key);
    }
  }
}

// Keeps 16 PutAsync writes in flight: each callback prints its write and submits
// the next.
void AsyncWriter(gorch::store::Store* store, const std::string& run) {
  static std::atomic<int64_t> next{0};
  for (int chain = 0; chain < 16; ++chain) {
    struct Issue {
      gorch::store::Store* store;
      std::string run;
      void operator()() const {
        gorch::store::PutRequest p;
        p.key = "/crash/" + run + "/async/" + std::to_string(next.fetch_add(1));
        p.value = std::string(size_t(next.load() * 131 % 3072), 'z');
        std::string key = p.key;
        Issue again = *this;
        store->PutAsync(std::move(p), [key, again](gorch::Result<gorch::store::PutResponse> r) {
          if (!r.ok()) {
            fprintf(stderr, "async put failed: %s\n", r.status().ToString().c_str());
            _exit(2);
          }
          Print(r->revision, key);
          again();
        });
      }
    };
    Issue{store, run}();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string(argv[3]) == "checkpoints")) {
    fprintf(stderr, "usage: %s DIR RUN [checkpoints]\n", argv[0]);
    return 1;
  }
  gorch::store::LmdbOptions options;
  options.dir = argv[1];
  options.initial_map_bytes = 256 << 10;
  if (argc == 4) {
    options.checkpoint_bytes = 16 << 10;
    options.checkpoint_interval = std::chrono::milliseconds(2);
  }
  auto store = gorch::store::OpenLmdbStore(options);
  if (!store.ok()) {
    fprintf(stderr, "open failed: %s\n", store.status().ToString().c_str());
    return 2;
  }
  Print(0, "/opened");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(Writer, store->get(), std::string(argv[2]), t);
  AsyncWriter(store->get(), argv[2]);
  for (auto& t : threads) t.join();  // never returns: killed by the test
  return 0;
}
