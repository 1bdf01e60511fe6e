// diff_bench: the diff of 50,000 resources against a live state in which 1,000
// differ (a changed image). Goal: under 0.5 s in all. Prints
//   diff_resources_per_s, diff_seconds_50k, diff_full_walk_seconds_50k, diff_peak_rss
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "gorch/compiler/compile.h"
#include "gorch/planner/plan.h"

using namespace gorch;

namespace {

constexpr int kResources = 50000;
constexpr int kChanged = 1000;

struct Workload {
  std::unique_ptr<lang::SchemaSet> schemas;
  compiler::DesiredState desired;
  planner::LiveState live;       // 1,000 differ; hashes as an apply records them
  planner::LiveState live_nohash;  // the same without hashes: every object is walked
};

std::string Doc(int i, const std::string& image) {
  std::string n = std::to_string(i);
  if (i % 2 == 0)
    return "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-" + n + "\n  namespace: ns-" +
           std::to_string(i / 100) + "\ndata:\n  LEVEL: info\n  INDEX: \"" + n + "\"\n";
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-" + n + "\n  namespace: ns-" +
         std::to_string(i / 100) + "\n  labels: {app: app-" + n + "}\nspec:\n  replicas: 2\n  selector:\n"
         "    matchLabels: {app: app-" + n + "}\n  template:\n    metadata:\n      labels: {app: app-" + n +
         "}\n    spec:\n      containers:\n        - name: web\n          image: " + image +
         "\n          ports: [{containerPort: 8080}]\n          env:\n            - {name: A, value: a}\n"
         "          resources: {requests: {cpu: 100m, memory: 64Mi}}\n";
}

compiler::DesiredState Compile(const lang::SchemaSet& schemas, bool changed) {
  std::map<std::string, std::string> files;
  for (int f = 0; f < kResources / 500; ++f) {
    std::string text;
    for (int i = f * 500; i < (f + 1) * 500; ++i) {
      bool change = changed && i % 2 == 1 && (i / 2) % (kResources / 2 / kChanged) == 0;
      text += Doc(i, change ? "localhost/busybox:2" : "localhost/busybox:1");
    }
    files["part-" + std::to_string(f) + ".yaml"] = std::move(text);
  }
  auto source = compiler::MakeMemorySource(std::move(files));
  compiler::CompileOptions options;
  auto r = compiler::CompileSource(*source, schemas, options);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.diags.all()[0].ToString().c_str());
    std::abort();
  }
  return std::move(r.state);
}

Workload& Get() {
  static Workload* w = [] {
    auto* w = new Workload;
    lang::Diagnostics diags;
    w->schemas = lang::LoadSchemas({}, diags);
    compiler::DesiredState before = Compile(*w->schemas, false);
    w->desired = Compile(*w->schemas, true);
    for (auto& r : before.resources)
      w->live.resources.push_back({r.id, r.api_version, std::move(r.object), r.content_hash, true, 1});
    w->live.revision = 1;
    w->live_nohash = w->live;
    for (auto& r : w->live_nohash.resources) r.applied_hash.clear();
    return w;
  }();
  return *w;
}

double g_seconds = 0, g_full_seconds = 0;
int g_updates = 0;

void BM_Diff(benchmark::State& state) {
  Workload& w = Get();
  bool full = state.range(0) == 1;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto plan = planner::MakePlan(w.desired, full ? w.live_nohash : w.live, *w.schemas, {});
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (full ? g_full_seconds : g_seconds) = s;
    g_updates = plan.ok() ? plan->summary.update : -1;
    benchmark::DoNotOptimize(plan);
  }
  state.counters["updates"] = g_updates;
  state.counters["resources_per_s"] = benchmark::Counter(kResources, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Diff)->Arg(0)->Arg(1)->ArgName("full_walk")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  if (g_updates != kChanged) std::fprintf(stderr, "expected %d updates, got %d\n", kChanged, g_updates);
  std::printf("diff_resources_per_s: %.0f resources/s\n", kResources / g_seconds);
  std::printf("diff_seconds_50k: %.3f s\n", g_seconds);
  std::printf("diff_full_walk_seconds_50k: %.3f s\n", g_full_seconds);
  std::printf("diff_peak_rss: %.0f MiB\n", ru.ru_maxrss / 1024.0);
  return 0;
}
