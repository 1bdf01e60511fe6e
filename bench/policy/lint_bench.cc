// lint_bench: linting 50,000 resources generated from ../shared/corpus with the
// full built-in pack, against compiling the same set (the goal: lint at
// most 1.5x the compile). Both read the same directory with the same threads;
// the lint is what `gorch lint` does: compile, then every policy.
// Prints, after the Google Benchmark table:
//   compile_seconds_50k, lint_seconds_50k, lint_policies_seconds_50k,
//   lint_vs_compile_ratio, lint_evaluations_per_s, lint_findings, lint_peak_rss
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gorch/compiler/compile.h"
#include "gorch/policy/lint.h"

namespace fs = std::filesystem;
using namespace gorch;

namespace {

constexpr int kResources = 50000;
constexpr int kDocsPerFile = 100;

// The corpus documents that compile alone (namespaced, block-style metadata),
// tagged with their folder so two folders' equal names stay apart.
std::vector<std::pair<int, std::string>> CorpusDocs() {
  std::vector<std::pair<int, std::string>> docs;
  fs::path corpus = fs::path(GORCH_SOURCE_DIR) / ".." / "shared" / "corpus";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(corpus))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, int> folders;
  for (const fs::path& f : files) {
    int folder = folders.emplace(f.parent_path().string(), static_cast<int>(folders.size())).first->second;
    if (f.filename() == "cronjob-v1beta1.yaml" || f.filename() == "minimal-ingress.yaml") continue;
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = "\n" + ss.str();
    for (size_t at = 0; at < text.size();) {
      size_t next = text.find("\n---", at + 1);
      std::string doc = text.substr(at, next == std::string::npos ? std::string::npos : next - at);
      at = next == std::string::npos ? text.size() : next + 4;
      if (doc.find("\nkind: StorageClass") != std::string::npos) continue;
      if (doc.find("\nmetadata:\n") == std::string::npos) continue;
      if (size_t ns = doc.find("\n  namespace: "); ns != std::string::npos)
        doc.erase(ns, doc.find('\n', ns + 1) - ns);
      docs.emplace_back(folder, doc + "\n");
    }
  }
  return docs;
}

const fs::path& Workload() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("gorch-lint-bench-" + std::to_string(getpid()));
    fs::create_directories(d);
    auto docs = CorpusDocs();
    int n = 0, file_no = 0, in_file = 0;
    std::string text;
    for (int copy = 0; n < kResources; ++copy) {
      for (const auto& [folder, doc] : docs) {
        if (n >= kResources) break;
        std::string d2 = doc;
        d2.insert(d2.find("\nmetadata:\n") + 10,
                  "\n  namespace: copy-" + std::to_string(copy) + "-" + std::to_string(folder));
        text += "---" + d2;
        ++n;
        if (++in_file == kDocsPerFile) {
          std::ofstream(d / ("part-" + std::to_string(file_no++) + ".yaml")) << text;
          text.clear();
          in_file = 0;
        }
      }
    }
    if (!text.empty()) std::ofstream(d / "part-last.yaml") << text;
    return d;
  }();
  return dir;
}

const lang::SchemaSet& Schemas() {
  static auto* s = [] {
    lang::Diagnostics diags;
    return lang::LoadSchemas({}, diags).release();
  }();
  return *s;
}

const policy::PolicySet& Pack() {
  static auto* set = [] {
    auto* s = new policy::PolicySet;
    lang::Diagnostics diags;
    s->AddBuiltin(diags);
    if (!s->Finalize(Schemas(), diags)) {
      for (const auto& d : diags.all()) std::fprintf(stderr, "%s\n", d.ToString().c_str());
      std::abort();
    }
    return s;
  }();
  return *set;
}

double g_compile = 0, g_lint = 0, g_policies = 0;
size_t g_findings = 0, g_evaluations = 0, g_resources = 0;

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void BM_Compile(benchmark::State& state) {
  auto source = compiler::OpenDirectorySource(Workload().string());
  compiler::CompileOptions options;
  options.allow_external_refs = true;
  double best = 1e9;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    compiler::CompileResult r = compiler::CompileSource(**source, Schemas(), options);
    best = std::min(best, Seconds(t0, std::chrono::steady_clock::now()));
    g_resources = r.state.resources.size();
    benchmark::DoNotOptimize(r);
  }
  g_compile = best;
  state.counters["resources"] = static_cast<double>(g_resources);
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// What `gorch lint` does: the same compile, then the pack over the graph.
void BM_Lint(benchmark::State& state) {
  auto source = compiler::OpenDirectorySource(Workload().string());
  compiler::CompileOptions options;
  options.allow_external_refs = true;
  const policy::PolicySet& pack = Pack();
  double best = 1e9, best_policies = 1e9;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    compiler::CompileResult r = compiler::CompileSource(**source, Schemas(), options);
    auto t1 = std::chrono::steady_clock::now();
    policy::LintResult lint = policy::Lint(r.state, {}, pack, policy::LintOptions{});
    auto t2 = std::chrono::steady_clock::now();
    best = std::min(best, Seconds(t0, t2));
    best_policies = std::min(best_policies, Seconds(t1, t2));
    g_findings = lint.findings.size();
    g_evaluations = lint.evaluations;
    if (lint.diags.HasErrors()) std::fprintf(stderr, "policy error: %s\n", lint.diags.all()[0].ToString().c_str());
  }
  g_lint = best;
  g_policies = best_policies;
  state.counters["findings"] = static_cast<double>(g_findings);
}
BENCHMARK(BM_Lint)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  if (g_compile > 0 && g_lint > 0) {
    std::printf("compile_seconds_50k: %.3f s\n", g_compile);
    std::printf("lint_seconds_50k: %.3f s\n", g_lint);
    std::printf("lint_policies_seconds_50k: %.3f s\n", g_policies);
    std::printf("lint_vs_compile_ratio: %.2f x\n", g_lint / g_compile);
    std::printf("lint_evaluations_per_s: %.0f rules/s\n", g_evaluations / g_policies);
    std::printf("lint_findings: %zu findings over %zu resources\n", g_findings, g_resources);
  }
  std::printf("lint_peak_rss: %.0f MiB\n", ru.ru_maxrss / 1024.0);
  std::error_code ec;
  fs::remove_all(Workload(), ec);
  return 0;
}
