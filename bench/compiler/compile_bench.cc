// compile_bench: the compiler on 50,000 resources generated from ../shared/corpus,
// against yaml-cpp's bare parse of the same bytes with the same threads.
// Prints, after the Google Benchmark table:
//   compile_resources_per_s, compile_vs_yaml_parse_ratio, compile_peak_rss
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gorch/compiler/compile.h"

namespace fs = std::filesystem;
using namespace gorch;

namespace {

constexpr int kResources = 50000;
constexpr int kDocsPerFile = 100;

struct Workload {
  fs::path dir;
  std::vector<std::string> files;  // contents, for the bare parse
  int resources = 0;
};

// Every corpus document that compiles on its own (namespaced kinds), each copy
// put in its own namespace so identities stay unique.
std::vector<YAML::Node> CorpusDocs() {
  std::vector<YAML::Node> docs;
  fs::path corpus = fs::path(GORCH_SOURCE_DIR) / ".." / "shared" / "corpus";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(corpus))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string name = f.filename().string();
    if (name == "cronjob-v1beta1.yaml" || name == "minimal-ingress.yaml") continue;  // need user action
    for (YAML::Node d : YAML::LoadAllFromFile(f.string())) {
      if (!d.IsMap() || !d["kind"]) continue;
      std::string kind = d["kind"].as<std::string>();
      if (kind == "StorageClass") continue;  // cluster-scoped: one copy only
      docs.push_back(d);
    }
  }
  return docs;
}

const Workload& GetWorkload() {
  static Workload* w = [] {
    auto* w = new Workload;
    w->dir = fs::temp_directory_path() / ("gorch-compile-bench-" + std::to_string(getpid()));
    fs::create_directories(w->dir);
    std::vector<YAML::Node> docs = CorpusDocs();
    int copy = 0, file_no = 0;
    std::string text;
    int in_file = 0;
    while (w->resources < kResources) {
      for (const YAML::Node& d : docs) {
        if (w->resources >= kResources) break;
        YAML::Node c = YAML::Clone(d);
        c["metadata"]["namespace"] = "copy-" + std::to_string(copy);
        YAML::Emitter out;
        out << c;
        text += "---\n";
        text += out.c_str();
        text += "\n";
        ++w->resources;
        if (++in_file == kDocsPerFile) {
          char name[32];
          std::snprintf(name, sizeof name, "part-%04d.yaml", file_no++);
          std::ofstream(w->dir / name) << text;
          w->files.push_back(std::move(text));
          text.clear();
          in_file = 0;
        }
      }
      ++copy;
    }
    if (!text.empty()) {
      std::ofstream(w->dir / "part-last.yaml") << text;
      w->files.push_back(std::move(text));
    }
    return w;
  }();
  return *w;
}

const lang::SchemaSet& Schemas() {
  static auto* schemas = [] {
    lang::Diagnostics diags;
    auto set = lang::LoadSchemas({}, diags);
    if (!set) {
      for (const auto& d : diags.all()) std::fprintf(stderr, "%s\n", d.ToString().c_str());
      std::abort();
    }
    return set.release();
  }();
  return *schemas;
}

double g_compile_seconds = 0, g_parse_seconds = 0;

void BM_YamlCppBareParse(benchmark::State& state) {
  const Workload& w = GetWorkload();
  unsigned threads = std::thread::hardware_concurrency();
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        for (size_t i; (i = next++) < w.files.size();) benchmark::DoNotOptimize(YAML::LoadAll(w.files[i]));
      });
    for (auto& th : pool) th.join();
    g_parse_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  state.counters["resources_per_s"] =
      benchmark::Counter(w.resources, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_YamlCppBareParse)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_Compile(benchmark::State& state) {
  const Workload& w = GetWorkload();
  const lang::SchemaSet& schemas = Schemas();
  auto source = compiler::OpenDirectorySource(w.dir.string());
  if (!source.ok()) {
    state.SkipWithError(source.status().ToString().c_str());
    return;
  }
  compiler::CompileOptions options;
  options.allow_external_refs = true;
  size_t errors = 0, count = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    compiler::CompileResult r = compiler::CompileSource(**source, schemas, options);
    g_compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    errors = r.diags.error_count();
    count = r.state.resources.size();
    if (errors) std::fprintf(stderr, "first error: %s\n", r.diags.all()[0].ToString().c_str());
  }
  state.counters["resources"] = static_cast<double>(count);
  state.counters["errors"] = static_cast<double>(errors);
  state.counters["resources_per_s"] =
      benchmark::Counter(w.resources, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const Workload& w = GetWorkload();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  if (g_compile_seconds > 0) {
    std::printf("compile_resources_per_s: %.0f resources/s\n", w.resources / g_compile_seconds);
    std::printf("compile_seconds_50k: %.3f s\n", g_compile_seconds);
  }
  if (g_parse_seconds > 0 && g_compile_seconds > 0)
    std::printf("compile_vs_yaml_parse_ratio: %.2f x\n", g_compile_seconds / g_parse_seconds);
  std::printf("compile_peak_rss: %.0f MiB\n", ru.ru_maxrss / 1024.0);
  std::error_code ec;
  fs::remove_all(w.dir, ec);
  return 0;
}
