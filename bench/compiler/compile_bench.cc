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
#include <map>
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
// Every corpus document that compiles on its own (namespaced kinds, block-style
// metadata), as text, with the index of its corpus folder: two folders use the
// same names (guestbook and microservices-demo both have "frontend"). Text, not a
// yaml-cpp round trip, so quoting ("true" as a string) survives.
std::vector<std::pair<int, std::string>> CorpusDocs() {
  std::vector<std::pair<int, std::string>> docs;
  fs::path corpus = fs::path(GORCH_SOURCE_DIR) / ".." / "shared" / "corpus";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(corpus))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, int> folders;
  for (const auto& f : files) {
    int folder = folders.emplace(f.parent_path().string(), static_cast<int>(folders.size())).first->second;
    std::string name = f.filename().string();
    if (name == "cronjob-v1beta1.yaml" || name == "minimal-ingress.yaml") continue;  // need user action
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = "\n" + ss.str();
    size_t at = 0;
    while (at < text.size()) {
      size_t next = text.find("\n---", at + 1);
      std::string doc = text.substr(at, next == std::string::npos ? std::string::npos : next - at);
      at = next == std::string::npos ? text.size() : next + 4;
      if (doc.find("\nkind: StorageClass") != std::string::npos) continue;  // cluster-scoped
      if (doc.find("\nmetadata:\n") == std::string::npos) continue;       // flow style
      if (size_t ns = doc.find("\n  namespace: "); ns != std::string::npos)
        doc.erase(ns, doc.find('\n', ns + 1) - ns);
      docs.emplace_back(folder, doc + "\n");
    }
  }
  return docs;
}

const Workload& GetWorkload() {
  static Workload* w = [] {
    auto* w = new Workload;
    w->dir = fs::temp_directory_path() / ("gorch-compile-bench-" + std::to_string(getpid()));
    fs::create_directories(w->dir);
    std::vector<std::pair<int, std::string>> docs = CorpusDocs();
    int copy = 0, file_no = 0;
    std::string text;
    int in_file = 0;
    while (w->resources < kResources) {
      for (const auto& [folder, d] : docs) {
        if (w->resources >= kResources) break;
        std::string doc = d;
        size_t meta = doc.find("\nmetadata:\n");
        doc.insert(meta + 10, "\n  namespace: copy-" + std::to_string(copy) + "-" + std::to_string(folder));
        text += "---";
        text += doc;
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

// Where compile time goes: loading (parse + Value building), type checking
// (single thread here, to see its cost per resource), graph building.
void BM_CompilePhases(benchmark::State& state) {
  const Workload& w = GetWorkload();
  const lang::SchemaSet& schemas = Schemas();
  auto source = compiler::OpenDirectorySource(w.dir.string());
  compiler::CompileOptions options;
  options.allow_external_refs = true;
  for (auto _ : state) {
    lang::Diagnostics diags;
    auto t0 = std::chrono::steady_clock::now();
    auto manifests = compiler::LoadManifests(**source, options.load, diags);
    auto t1 = std::chrono::steady_clock::now();
    std::vector<compiler::CheckedManifest> checked;
    checked.reserve(manifests.size());
    for (auto& m : manifests) checked.push_back(compiler::TypeCheck(schemas, std::move(m.doc), diags));
    auto t2 = std::chrono::steady_clock::now();
    auto graph = compiler::BuildGraph(std::move(checked), options, diags);
    auto t3 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    state.counters["load_ms"] = ms(t0, t1);
    state.counters["typecheck_1thread_ms"] = ms(t1, t2);
    state.counters["graph_ms"] = ms(t2, t3);
    benchmark::DoNotOptimize(graph);
  }
}
BENCHMARK(BM_CompilePhases)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

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
