// State store benchmarks: the LMDB store and a private etcd 3.4, on the same
// machine, in the same temp filesystem, both durable (LMDB fsyncs its write-ahead
// log for every batch, etcd fsyncs its WAL for every raft batch). Puts also run on
// "lmdb_nowal", the LMDB store without its log (LMDB itself synced every batch),
// for comparison.
//
// Figures (each a Google Benchmark counter, and a `name: value unit` line at the end):
//   store_<b>_put_{1writer,64writers,1000writers}     durable puts/s (256-byte values),
//       the median of 3 rounds that alternate between the backends
//   store_<b>_putasync_{64,1000}inflight             durable puts/s with that many
//       puts in flight from PutAsync (each completion submits the next put, as each
//       client of etcd's own benchmark tool does), the median of 3 rounds; for etcd
//       also over 16 connections ("etcd_16conns"; the tool spreads its clients
//       over --conns connections)
//   store_<b>_get_1reader, store_<b>_get_64readers   single-key reads/s (10,000 keys);
//       for etcd both linearizable (its default, "etcd") and serializable reads
//       ("etcd_serializable", what etcd's published read figures use)
//   store_<b>_range100_64readers                     100-key prefix reads/s
//   store_<b>_watch_p50, store_<b>_watch_p99         watch latency in us, from the
//       writer's acknowledgement (the write is committed) to delivery to a watcher
//   store_lmdb_vs_etcd_put_*, _putasync_*             the write throughput ratio;
//   store_lmdb_vs_etcd_best_putasync_*                against etcd's faster setup
//   store_disk_fdatasync_p50                          this disk's fdatasync latency,
//       before and after the runs
// GORCH_BENCH_SECONDS (default 3) sets how long each throughput run lasts.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "etcd_process.h"
#include "gorch/store/etcd_store.h"
#include "gorch/store/lmdb_store.h"

namespace gorch::store {
namespace {

using Clock = std::chrono::steady_clock;
using testing::EtcdProcess;

constexpr size_t kValueBytes = 256;
constexpr int kReadKeys = 10000;

double Seconds() {
  const char* s = getenv("GORCH_BENCH_SECONDS");
  double v = s != nullptr ? atof(s) : 0;
  return v > 0 ? v : 3.0;
}

std::string TempRoot() {
  const char* base = getenv("TMPDIR");
  return base != nullptr && *base != '\0' ? base : "/tmp";
}

// Figures in print order, for the summary lines. A figure measured in several rounds
// (throughput runs alternate between the backends, so that a slow spell of the
// shared disk hits both) is reported as the median of its rounds.
struct Figure {
  std::string name;
  std::string unit;
  int decimals = 0;
  std::vector<double> samples;
  double Median() const {
    std::vector<double> v = samples;
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
  }
};
std::vector<Figure>& Figures() {
  static std::vector<Figure> figures;
  return figures;
}
void Record(const std::string& name, double value, const std::string& unit, int decimals = 0) {
  for (Figure& f : Figures()) {
    if (f.name == name) {
      f.samples.push_back(value);
      return;
    }
  }
  Figures().push_back(Figure{name, unit, decimals, {value}});
}
const Figure* Find(const std::string& name) {
  for (const Figure& f : Figures()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The stores under test, opened once.
struct Backends {
  std::string lmdb_dir;
  std::unique_ptr<Store> lmdb;
  std::string lmdb_nowal_dir;
  std::unique_ptr<Store> lmdb_nowal;  // LmdbOptions::wal = false
  std::unique_ptr<EtcdProcess> etcd_process;
  std::unique_ptr<Store> etcd;               // linearizable reads (etcd's default)
  std::unique_ptr<Store> etcd_serializable;  // the same etcd, serializable reads
  std::unique_ptr<Store> etcd_16conns;       // the same etcd, KV calls over 16 connections
  std::string etcd_error;

  Backends() {
    char tmpl[4096];
    std::snprintf(tmpl, sizeof tmpl, "%s/gorch-store-bench-XXXXXX", TempRoot().c_str());
    if (mkdtemp(tmpl) != nullptr) lmdb_dir = tmpl;
    std::snprintf(tmpl, sizeof tmpl, "%s/gorch-store-bench-XXXXXX", TempRoot().c_str());
    if (mkdtemp(tmpl) != nullptr) lmdb_nowal_dir = tmpl;
    for (bool wal : {true, false}) {
      LmdbOptions o;
      o.dir = wal ? lmdb_dir : lmdb_nowal_dir;
      o.wal = wal;
      auto s = OpenLmdbStore(o);
      if (s.ok()) {
        (wal ? lmdb : lmdb_nowal) = std::move(*s);
      } else {
        std::fprintf(stderr, "lmdb (wal %d): %s\n", int(wal), s.status().ToString().c_str());
      }
    }
    if (!testing::EtcdInstalled()) {
      etcd_error = "etcd is not installed";
      return;
    }
    auto p = EtcdProcess::Start();
    if (!p.ok()) {
      etcd_error = p.status().ToString();
      return;
    }
    etcd_process = std::move(*p);
    EtcdOptions eo;
    eo.endpoints = etcd_process->endpoint();
    auto e = OpenEtcdStore(eo);
    eo.serializable_reads = true;
    auto es = OpenEtcdStore(eo);
    eo.serializable_reads = false;
    eo.kv_channels = 16;
    auto e16 = OpenEtcdStore(eo);
    if (e.ok() && es.ok() && e16.ok()) {
      etcd = std::move(*e);
      etcd_serializable = std::move(*es);
      etcd_16conns = std::move(*e16);
    } else {
      etcd_error = (!e.ok() ? e.status() : !es.ok() ? es.status() : e16.status()).ToString();
    }
  }
  ~Backends() {
    lmdb.reset();
    lmdb_nowal.reset();
    etcd.reset();
    etcd_serializable.reset();
    etcd_16conns.reset();
    etcd_process.reset();
    std::error_code ec;
    if (!lmdb_dir.empty()) std::filesystem::remove_all(lmdb_dir, ec);
    if (!lmdb_nowal_dir.empty()) std::filesystem::remove_all(lmdb_nowal_dir, ec);
  }
  Store* Get(const std::string& name) {
    if (name == "lmdb") return lmdb.get();
    if (name == "lmdb_nowal") return lmdb_nowal.get();
    if (name == "etcd_16conns") return etcd_16conns.get();
    return name == "etcd" ? etcd.get() : etcd_serializable.get();
  }
};

Backends& TheBackends() {
  static Backends* b = new Backends();  // torn down explicitly in main
  return *b;
}

// Runs `threads` threads calling op(thread, i) for `seconds`; returns ops/s and the
// number of failed ops.
template <typename Op>
double RunFor(int threads, double seconds, Op op, int64_t* failures) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0}, failed{0};
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      int64_t n = 0, bad = 0;
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (op(t, i)) {
          ++n;
        } else {
          ++bad;
        }
      }
      done += n;
      failed += bad;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  *failures = failed.load();
  return double(done.load()) / elapsed;
}

std::string WritersName(int n, const char* one, const char* many) {
  return n == 1 ? std::string("1") + one : std::to_string(n) + many;
}

void BM_Put(benchmark::State& state, std::string backend, int threads) {
  Store* store = TheBackends().Get(backend);
  if (store == nullptr) {
    state.SkipWithError(("no " + backend + " store: " + TheBackends().etcd_error).c_str());
    return;
  }
  const std::string value(kValueBytes, 'v');
  const std::string run = std::to_string(state.range(0));
  for (auto _ : state) {
    int64_t failures = 0;
    double rate = RunFor(threads, Seconds(), [&](int t, int64_t i) {
      std::string key = "/bench/put/" + run + "/" + std::to_string(t) + "/" + std::to_string(i);
      return store->Put(key, value).ok();
    }, &failures);
    state.SetIterationTime(Seconds());
    state.counters["puts_per_s"] = rate;
    state.counters["failures"] = double(failures);
    Record("store_" + backend + "_put_" + WritersName(threads, "writer", "writers"), rate, "ops/s");
  }
}

// CPU time (user + system) this process has used so far, in microseconds: the
// store's and the benchmark's threads, not etcd's (a separate process).
double ProcessCpuMicros() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Keeps `in_flight` puts outstanding through Store::PutAsync: each callback submits
// the next put (closed loop, as etcd's benchmark tool's clients do) until stopped.
class AsyncPutLoad {
 public:
  AsyncPutLoad(Store* store, std::string prefix) : store_(store), prefix_(std::move(prefix)) {}

  // Runs for `seconds`; returns puts/s completed meanwhile.
  double Run(int in_flight, double seconds, int64_t* failures) {
    const auto start = Clock::now();
    {
      std::lock_guard<std::mutex> l(mu_);
      outstanding_ = in_flight;
    }
    for (int i = 0; i < in_flight; ++i) Issue();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop_ = true;
    const int64_t n = done_.load();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return outstanding_ == 0; });
    *failures = failed_.load();
    return double(n) / elapsed;
  }

 private:
  void Issue() {
    PutRequest r;
    r.key = prefix_ + std::to_string(seq_.fetch_add(1, std::memory_order_relaxed));
    r.value = std::string(kValueBytes, 'v');
    store_->PutAsync(std::move(r), [this](Result<PutResponse> res) {
      if (res.ok()) {
        done_.fetch_add(1, std::memory_order_relaxed);
      } else {
        failed_.fetch_add(1, std::memory_order_relaxed);
      }
      if (res.ok() && !stop_.load(std::memory_order_relaxed)) {
        Issue();
        return;
      }
      std::lock_guard<std::mutex> l(mu_);
      if (--outstanding_ == 0) cv_.notify_all();
    });
  }

  Store* store_;
  std::string prefix_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> done_{0}, failed_{0}, seq_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int outstanding_ = 0;  // chains still running
};

void BM_PutAsync(benchmark::State& state, std::string backend, int in_flight) {
  Store* store = TheBackends().Get(backend);
  if (store == nullptr) {
    state.SkipWithError(("no " + backend + " store: " + TheBackends().etcd_error).c_str());
    return;
  }
  for (auto _ : state) {
    int64_t failures = 0;
    AsyncPutLoad load(store, "/bench/putasync/" + std::to_string(state.range(0)) + "/");
    const double cpu0 = ProcessCpuMicros();
    double rate = load.Run(in_flight, Seconds(), &failures);
    const double cpu = ProcessCpuMicros() - cpu0;
    state.SetIterationTime(Seconds());
    state.counters["puts_per_s"] = rate;
    // For LMDB: the whole write path's CPU per put (for etcd only the client's).
    if (rate > 0) state.counters["cpu_us_per_put"] = cpu / (rate * Seconds());
    state.counters["failures"] = double(failures);
    Record("store_" + backend + "_putasync_" + std::to_string(in_flight) + "inflight", rate, "ops/s");
  }
}

void Preload(Store* store) {
  static std::map<Store*, bool> loaded;
  if (loaded[store]) return;
  loaded[store] = true;
  const std::string value(kValueBytes, 'r');
  for (int base = 0; base < kReadKeys; base += 100) {  // 100 puts per transaction
    TxnRequest t;
    for (int i = base; i < base + 100; ++i) {
      char key[64];
      std::snprintf(key, sizeof key, "/bench/read/%03d/%02d", i / 100, i % 100);
      t.success.push_back(Op::Put(key, value));
    }
    store->Txn(t);
  }
}

void BM_Get(benchmark::State& state, std::string backend, int threads) {
  Store* store = TheBackends().Get(backend);
  if (store == nullptr) {
    state.SkipWithError(("no " + backend + " store: " + TheBackends().etcd_error).c_str());
    return;
  }
  Preload(store);
  for (auto _ : state) {
    int64_t failures = 0;
    double rate = RunFor(threads, Seconds() * 2 / 3, [&](int t, int64_t i) {
      uint32_t k = uint32_t((t * 7919 + i * 104729) % kReadKeys);
      char key[64];
      std::snprintf(key, sizeof key, "/bench/read/%03u/%02u", k / 100, k % 100);
      auto r = store->Get(key);
      return r.ok() && r->has_value();
    }, &failures);
    state.SetIterationTime(Seconds() * 2 / 3);
    state.counters["gets_per_s"] = rate;
    state.counters["failures"] = double(failures);
    Record("store_" + backend + "_get_" + WritersName(threads, "reader", "readers"), rate, "ops/s");
  }
}

void BM_Range100(benchmark::State& state, std::string backend, int threads) {
  Store* store = TheBackends().Get(backend);
  if (store == nullptr) {
    state.SkipWithError(("no " + backend + " store: " + TheBackends().etcd_error).c_str());
    return;
  }
  Preload(store);
  for (auto _ : state) {
    int64_t failures = 0;
    double rate = RunFor(threads, Seconds() * 2 / 3, [&](int t, int64_t i) {
      char prefix[64];
      std::snprintf(prefix, sizeof prefix, "/bench/read/%03u/", uint32_t((t + i) % (kReadKeys / 100)));
      auto r = store->Range(RangeRequest::Prefix(prefix));
      return r.ok() && r->kvs.size() == 100;
    }, &failures);
    state.SetIterationTime(Seconds() * 2 / 3);
    state.counters["ranges_per_s"] = rate;
    state.counters["keys_per_s"] = rate * 100;
    state.counters["failures"] = double(failures);
    Record("store_" + backend + "_range100_" + WritersName(threads, "reader", "readers"), rate, "ops/s");
  }
}

// One writer, one watcher; latency from each put's acknowledgement to its delivery.
void BM_WatchLatency(benchmark::State& state, std::string backend) {
  Store* store = TheBackends().Get(backend);
  if (store == nullptr) {
    state.SkipWithError(("no " + backend + " store: " + TheBackends().etcd_error).c_str());
    return;
  }
  const int n = 1000;
  for (auto _ : state) {
    const std::string prefix = "/bench/watch/" + std::to_string(state.range(0)) + "/";
    auto w = store->Watch(WatchRequest::Prefix(prefix));
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    std::vector<Clock::time_point> acked(n), delivered(n);
    std::thread watcher([&] {
      for (int got = 0; got < n;) {
        auto events = (*w)->Next(std::chrono::seconds(10));
        if (!events.ok() || events->empty()) return;
        const auto now = Clock::now();
        for (const Event& e : *events) {
          delivered[std::stoi(e.kv.value)] = now;
          ++got;
        }
      }
    });
    for (int i = 0; i < n; ++i) {
      store->Put(prefix + std::to_string(i), std::to_string(i));
      acked[i] = Clock::now();
    }
    watcher.join();
    std::vector<double> us;
    for (int i = 0; i < n; ++i) {
      if (delivered[i] == Clock::time_point()) continue;
      us.push_back(std::max(0.0, std::chrono::duration<double, std::micro>(delivered[i] - acked[i]).count()));
    }
    std::sort(us.begin(), us.end());
    if (us.size() < size_t(n)) {
      state.SkipWithError("watch lost events");
      return;
    }
    const double p50 = us[us.size() / 2], p99 = us[us.size() * 99 / 100];
    state.counters["p50_us"] = p50;
    state.counters["p99_us"] = p99;
    Record("store_" + backend + "_watch_p50", p50, "us", 1);
    Record("store_" + backend + "_watch_p99", p99, "us", 1);
  }
}

// fdatasync latency of the disk both stores write to, for reading the figures.
void MeasureDisk() {
  std::string path = TempRoot() + "/gorch-fsync-probe";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  std::vector<double> us;
  char page[4096] = {0};
  for (int i = 0; i < 200; ++i) {
    const auto t0 = Clock::now();
    if (pwrite(fd, page, sizeof page, off_t(i % 16) * 4096) < 0 || fdatasync(fd) != 0) break;
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  close(fd);
  unlink(path.c_str());
  if (us.empty()) return;
  std::sort(us.begin(), us.end());
  Record("store_disk_fdatasync_p50", us[us.size() / 2], "us");
}

constexpr int kRounds = 3;

void RegisterAll() {
  int run = 0;
  for (int round = 1; round <= kRounds; ++round) {
    for (int threads : {1, 64, 1000}) {
      for (const char* b : {"lmdb", "lmdb_nowal", "etcd"}) {
        std::string name = std::string("store_put/") + b + "/writers:" + std::to_string(threads) + "/round:" +
                           std::to_string(round);
        benchmark::RegisterBenchmark(name.c_str(), BM_Put, std::string(b), threads)
            ->Arg(++run)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
      }
    }
    for (int in_flight : {64, 1000}) {
      for (const char* b : {"lmdb", "etcd", "etcd_16conns"}) {
        std::string name = std::string("store_putasync/") + b + "/inflight:" + std::to_string(in_flight) +
                           "/round:" + std::to_string(round);
        benchmark::RegisterBenchmark(name.c_str(), BM_PutAsync, std::string(b), in_flight)
            ->Arg(++run)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
      }
    }
  }
  for (const char* b : {"lmdb", "etcd", "etcd_serializable"}) {
    std::string backend = b;
    for (int threads : {1, 64}) {
      benchmark::RegisterBenchmark(("store_get/" + backend + "/readers:" + std::to_string(threads)).c_str(),
                                   BM_Get, backend, threads)
          ->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
    }
    benchmark::RegisterBenchmark(("store_range100/" + backend + "/readers:64").c_str(), BM_Range100, backend, 64)
        ->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
    if (backend == "etcd_serializable") continue;  // reads only
    benchmark::RegisterBenchmark(("store_watch_latency/" + backend).c_str(), BM_WatchLatency, backend)
        ->Arg(++run)->Iterations(1)->Unit(benchmark::kMillisecond);
  }
}

void PrintRatio(const char* name, const std::string& lmdb, const std::string& etcd) {
  const Figure* l = Find(lmdb);
  const Figure* e = Find(etcd);
  if (l != nullptr && e != nullptr && e->Median() > 0) Record(name, l->Median() / e->Median(), "x", 1);
}

// The ratio against etcd driven its faster way (one connection or 16).
void PrintRatioToBest(const char* name, const std::string& lmdb, const std::string& etcd,
                      const std::string& etcd_16conns) {
  const Figure* l = Find(lmdb);
  const Figure* e = Find(etcd);
  const Figure* e16 = Find(etcd_16conns);
  if (l == nullptr || e == nullptr || e16 == nullptr) return;
  const double best = std::max(e->Median(), e16->Median());
  if (best > 0) Record(name, l->Median() / best, "x", 1);
}

}  // namespace
}  // namespace gorch::store

int main(int argc, char** argv) {
  using namespace gorch::store;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  MeasureDisk();
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  MeasureDisk();  // again: the disk's speed drifts on a shared machine
  PrintRatio("store_lmdb_vs_etcd_put_1writer", "store_lmdb_put_1writer", "store_etcd_put_1writer");
  PrintRatio("store_lmdb_vs_etcd_put_64writers", "store_lmdb_put_64writers", "store_etcd_put_64writers");
  PrintRatio("store_lmdb_vs_etcd_put_1000writers", "store_lmdb_put_1000writers", "store_etcd_put_1000writers");
  PrintRatio("store_lmdb_vs_etcd_putasync_64inflight", "store_lmdb_putasync_64inflight",
             "store_etcd_putasync_64inflight");
  PrintRatio("store_lmdb_vs_etcd_putasync_1000inflight", "store_lmdb_putasync_1000inflight",
             "store_etcd_putasync_1000inflight");
  PrintRatioToBest("store_lmdb_vs_etcd_best_putasync_64inflight", "store_lmdb_putasync_64inflight",
                   "store_etcd_putasync_64inflight", "store_etcd_16conns_putasync_64inflight");
  PrintRatioToBest("store_lmdb_vs_etcd_best_putasync_1000inflight", "store_lmdb_putasync_1000inflight",
                   "store_etcd_putasync_1000inflight", "store_etcd_16conns_putasync_1000inflight");
  PrintRatio("store_lmdb_vs_etcd_get_64readers", "store_lmdb_get_64readers", "store_etcd_get_64readers");
  PrintRatio("store_lmdb_vs_etcd_serializable_get_64readers", "store_lmdb_get_64readers",
             "store_etcd_serializable_get_64readers");
  if (!TheBackends().etcd_error.empty()) std::printf("# etcd figures missing: %s\n", TheBackends().etcd_error.c_str());
  for (const Figure& f : Figures()) {
    if (f.samples.size() > 1) {
      std::printf("# %s rounds:", f.name.c_str());
      for (double v : f.samples) std::printf(" %.*f", f.decimals, v);
      std::printf(" (the median follows)\n");
    }
    std::printf("%s: %.*f %s\n", f.name.c_str(), f.decimals, f.Median(), f.unit.c_str());
  }
  delete &TheBackends();
  return 0;
}
