// git_poll_bench: the GitOps watcher's poll (issue 8). A repository of 10,000
// small files in 100 directories is made once with the git CLI and mirrored with
// GitMirror; then
//   BM_PollNoChange        GitMirror::Fetch with no new commit (goal: <= 50 ms)
//   BM_FetchAfterOneCommit GitMirror::Fetch right after one new commit upstream
//                          (the commit itself is made outside the timed region)
// Prints, after the Google Benchmark table, `name: value unit` lines:
//   git_mirror_first_fetch_10k_files, git_poll_no_change_{p50,mean,p99},
//   git_fetch_one_commit_{p50,mean}, git_poll_with_repack_10k_files (the one poll
//   that rewrites the 51 packs left by BM_FetchAfterOneCommit into one)
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "gorch/engine/git_mirror.h"

namespace fs = std::filesystem;
using gorch::engine::GitMirror;

namespace {

constexpr int kDirs = 100;
constexpr int kFilesPerDir = 100;

void Run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    std::fprintf(stderr, "git_poll_bench: failed: %s\n", command.c_str());
    std::exit(1);
  }
}

struct Workload {
  fs::path root;
  fs::path upstream;
  std::unique_ptr<GitMirror> mirror;
  double first_fetch_ms = 0;
  int commits = 0;
  std::vector<double> poll_ms, fetch_ms;

  // One more commit upstream, changing one file.
  void Commit() {
    ++commits;
    std::ofstream(upstream / "d000" / "f000.yaml") << "commit: " << commits << "\n";
    Run("git -C '" + upstream.string() + "' -c user.name=bench -c user.email=bench@example.com commit -q -a -m 'change " +
        std::to_string(commits) + "'");
  }
};

Workload& TheWorkload() {
  static Workload* w = [] {
    auto* w = new Workload;
    char tmpl[] = "/tmp/gorch-git-poll-bench-XXXXXX";
    if (!mkdtemp(tmpl)) std::exit(1);
    w->root = tmpl;
    w->upstream = w->root / "upstream";
    for (int d = 0; d < kDirs; ++d) {
      char dir[16];
      std::snprintf(dir, sizeof dir, "d%03d", d);
      fs::create_directories(w->upstream / dir);
      for (int f = 0; f < kFilesPerDir; ++f) {
        char name[16];
        std::snprintf(name, sizeof name, "f%03d.yaml", f);
        std::ofstream(w->upstream / dir / name) << "kind: ConfigMap\nmetadata:\n  name: c-" << d << "-" << f
                                                << "\ndata:\n  key: value\n";
      }
    }
    const std::string git = "git -C '" + w->upstream.string() + "' -c user.name=bench -c user.email=bench@example.com ";
    Run(git + "init -q -b main");
    Run(git + "add -A");
    Run(git + "commit -q -m '10,000 files'");
    auto mirror = GitMirror::Open((w->root / "mirror.git").string(), w->upstream.string());
    if (!mirror.ok()) {
      std::fprintf(stderr, "git_poll_bench: %s\n", mirror.status().ToString().c_str());
      std::exit(1);
    }
    w->mirror = std::move(mirror.value());
    auto start = std::chrono::steady_clock::now();
    auto first = w->mirror->Fetch("main");
    w->first_fetch_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!first.ok()) {
      std::fprintf(stderr, "git_poll_bench: %s\n", first.status().ToString().c_str());
      std::exit(1);
    }
    return w;
  }();
  return *w;
}

// Times one Fetch into samples; stops the benchmark on an error.
void TimedFetch(benchmark::State& state, std::vector<double>& samples) {
  auto start = std::chrono::steady_clock::now();
  auto info = TheWorkload().mirror->Fetch("main");
  samples.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  if (!info.ok()) state.SkipWithError(info.status().ToString().c_str());
}

void BM_PollNoChange(benchmark::State& state) {
  Workload& w = TheWorkload();
  for (auto _ : state) TimedFetch(state, w.poll_ms);
}
BENCHMARK(BM_PollNoChange)->Unit(benchmark::kMillisecond);

void BM_FetchAfterOneCommit(benchmark::State& state) {
  Workload& w = TheWorkload();
  for (auto _ : state) {
    state.PauseTiming();
    w.Commit();
    state.ResumeTiming();
    TimedFetch(state, w.fetch_ms);
  }
}
BENCHMARK(BM_FetchAfterOneCommit)->Unit(benchmark::kMillisecond)->Iterations(50);

size_t PackFiles(const Workload& w) {
  size_t packs = 0;
  for (const auto& e : fs::directory_iterator(w.root / "mirror.git" / "objects" / "pack"))
    if (e.path().extension() == ".pack") ++packs;
  return packs;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Workload& w = TheWorkload();
  std::printf("git_mirror_first_fetch_10k_files: %.1f ms\n", w.first_fetch_ms);
  if (!w.poll_ms.empty()) {
    std::printf("git_poll_no_change_p50: %.3f ms\n", Percentile(w.poll_ms, 0.5));
    std::printf("git_poll_no_change_mean: %.3f ms\n", Mean(w.poll_ms));
    std::printf("git_poll_no_change_p99: %.3f ms\n", Percentile(w.poll_ms, 0.99));
  }
  if (!w.fetch_ms.empty()) {
    std::printf("git_fetch_one_commit_p50: %.2f ms\n", Percentile(w.fetch_ms, 0.5));
    std::printf("git_fetch_one_commit_mean: %.2f ms\n", Mean(w.fetch_ms));
  }
  // After BM_FetchAfterOneCommit the mirror holds more than kGitMirrorMaxPacks packs:
  // the next poll with nothing new rewrites them into one.
  if (PackFiles(w) > gorch::engine::kGitMirrorMaxPacks) {
    auto start = std::chrono::steady_clock::now();
    auto info = w.mirror->Fetch("main");
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (info.ok() && PackFiles(w) == 1) std::printf("git_poll_with_repack_10k_files: %.1f ms\n", ms);
  }
  std::error_code ec;
  fs::remove_all(w.root, ec);
  return 0;
}
