// Agent benchmark (issue 6): a private containerd with the local images, a real
// `gorch server` and one `gorch agent --runtime cri` process. A Deployment is
// scaled 1, 2, ..., N (each step applied with `gorch apply` once the previous pod
// runs), so each pod starts alone with the others already running, as a
// rolling deploy starts them. A watch on the server sees each pod bound
// (spec.nodeName set) and Running; the difference is its start latency (the
// image is present). Then the agent's RSS with N pods running.
// Then B more pods in one apply (a burst: they start in parallel), timed the same.
// Prints `name: value unit` lines. usage: agent_bench [--pods N] [--burst B]
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "gorch/agent/containerd.h"
#include "gorch/agent/images.h"
#include "gorch/engine/client.h"
#include "gorch_process.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace gorch;

namespace {

std::string Deployment(int replicas) {
  return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n---\n"
         "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sleeper\n  namespace: bench\n"
         "spec:\n  replicas: " + std::to_string(replicas) +
         "\n  selector:\n    matchLabels: {app: sleeper}\n  template:\n    metadata:\n      labels: {app: sleeper}\n"
         "    spec:\n      terminationGracePeriodSeconds: 0\n      containers:\n        - name: main\n"
         "          image: localhost/busybox:1\n          command: [\"sleep\", \"3600\"]\n";
}

// A field of /proc/PID/status in KiB ("VmRSS", "RssAnon", "RssFile"); -1 if absent.
long StatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  return -1;
}

int ThreadCount(pid_t pid) { return static_cast<int>(StatusKiB(pid, "Threads")); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

struct Times {
  std::mutex mu;
  std::map<std::string, Clock::time_point> bound, running;
  std::map<std::string, int64_t> bound_wall_ms;  // to line up with the agent's log
  // Pods first seen already Running (the watch came up after the binding): no latency.
  std::set<std::string> unmeasured;
};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  int pods = 100, burst = 10;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--pods") == 0) pods = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--burst") == 0) burst = std::atoi(argv[i + 1]);
  }
  if (geteuid() != 0 || access("/usr/bin/containerd", X_OK) != 0) {
    std::cerr << "agent_bench: needs root and /usr/bin/containerd\n";
    return 1;
  }
  char tmpl[] = "/tmp/gorch-agent-bench-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  agent::ContainerdOptions copts;
  copts.dir = dir / "ctrd";
  auto containerd = agent::PrivateContainerd::Start(copts);
  if (!containerd.ok()) {
    std::cerr << "agent_bench: containerd: " << containerd.status().ToString() << "\n";
    return 1;
  }
  // An import right after containerd started has been seen to fail once ("content
  // digest … not found"): tried three times, as the itests do.
  Status imported;
  for (int i = 0; i < 3; ++i) {
    imported = agent::ImportLocalImages((*containerd)->Endpoint());
    if (imported.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (!imported.ok()) {
    std::cerr << "agent_bench: importing the local images: " << imported.ToString() << "\n";
    return 1;
  }
  const std::string address = "127.0.0.1:" + std::to_string(testing::FreePort());
  pid_t server = testing::Spawn({"server", "--data", (dir / "data").string(), "--listen", address}, dir / "server.log");
  // GORCH_BENCH_KEEP=1: the agent logs what it does and the folder (logs of the
  // server, the agent and containerd) is kept for a look.
  const bool keep = std::getenv("GORCH_BENCH_KEEP") != nullptr;
  std::vector<std::string> agent_args = {"agent", "--server", address, "--node", "n1", "--runtime", "cri", "--cri",
                                         (*containerd)->Endpoint(), "--root", (dir / "agent").string()};
  if (!keep) agent_args.push_back("--quiet");
  pid_t agent = testing::Spawn(agent_args, dir / "agent.log");
  engine::ClientOptions options;
  options.address = address;
  auto client = engine::GorchClient::Connect(options);
  Times times;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    while (!stop) {
      v1::WatchRequest req;
      req.set_kind("Pod");
      req.set_namespace_("bench");
      (void)(*client)->Watch(req, [&](const v1::WatchEvent& e) {
        if (e.type() != v1::WatchEvent::PUT) return true;
        Json obj = Json::parse(e.object().json(), nullptr, false);
        if (!obj.is_object()) return true;
        const Json& o = obj["object"];
        const std::string name = e.object().name();
        auto now = Clock::now();
        std::lock_guard<std::mutex> lock(times.mu);
        const bool seen_bound = times.bound.count(name) > 0;
        if (o.contains("spec") && o["spec"].value("nodeName", "") != "" && times.bound.emplace(name, now).second)
          times.bound_wall_ms.emplace(name, WallMs());
        if (o.contains("status") && o["status"].value("phase", "") == "Running" && times.running.emplace(name, now).second &&
            !seen_bound)
          times.unmeasured.insert(name);
        return true;
      }, &stop);
    }
  });
  fs::create_directories(dir / "repo");
  std::string out;
  auto begin = Clock::now();
  for (int n = 1; n <= pods; ++n) {
    std::ofstream(dir / "repo" / "bench.yaml") << Deployment(n);
    if (testing::RunCli({"apply", (dir / "repo").string(), "--server", address}, &out) != 0) {
      std::cerr << "apply failed: " << out << "\n";
      break;
    }
    auto until = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < until) {
      {
        std::lock_guard<std::mutex> lock(times.mu);
        if (static_cast<int>(times.running.size()) >= n) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (n % 10 == 0) std::cerr << n << " pods running\n";
  }
  double total_s = std::chrono::duration<double>(Clock::now() - begin).count();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // settle: probes, stats
  long rss = StatusKiB(agent, "VmRSS");
  long rss_anon = StatusKiB(agent, "RssAnon");
  long rss_file = StatusKiB(agent, "RssFile");
  int threads = ThreadCount(agent);
  std::vector<double> latencies;
  {
    std::lock_guard<std::mutex> lock(times.mu);
    for (const auto& [name, ran] : times.running) {
      auto b = times.bound.find(name);
      if (b != times.bound.end() && !times.unmeasured.count(name))
        latencies.push_back(std::chrono::duration<double, std::milli>(ran - b->second).count());
    }
  }
  // Then `burst` more pods in one apply: they start at the same time (the agent
  // runs each in its own worker), each timed bound -> Running as before.
  std::vector<double> burst_latencies;
  double burst_s = 0;
  if (burst > 0) {
    std::set<std::string> before;
    {
      std::lock_guard<std::mutex> lock(times.mu);
      for (const auto& [name, ran] : times.running) before.insert(name);
    }
    std::ofstream(dir / "repo" / "bench.yaml") << Deployment(pods + burst);
    auto burst_begin = Clock::now();
    if (testing::RunCli({"apply", (dir / "repo").string(), "--server", address}, &out) != 0)
      std::cerr << "apply failed: " << out << "\n";
    auto until = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < until) {
      {
        std::lock_guard<std::mutex> lock(times.mu);
        if (static_cast<int>(times.running.size()) >= pods + burst) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    burst_s = std::chrono::duration<double>(Clock::now() - burst_begin).count();
    std::lock_guard<std::mutex> lock(times.mu);
    for (const auto& [name, ran] : times.running) {
      auto b = times.bound.find(name);
      if (!before.count(name) && b != times.bound.end() && !times.unmeasured.count(name))
        burst_latencies.push_back(std::chrono::duration<double, std::milli>(ran - b->second).count());
    }
  }
  stop = true;
  testing::Stop(agent, SIGTERM);
  testing::Stop(server, SIGTERM);
  watcher.join();
  containerd->reset();
  std::error_code ec;
  if (keep) {
    std::cerr << "kept " << dir << "\n";
  } else {
    fs::remove_all(dir, ec);
  }
  if (keep) {
    std::lock_guard<std::mutex> lock(times.mu);
    for (const auto& [name, ran] : times.running)
      if (times.bound.count(name))
        std::cerr << name << " " << std::chrono::duration<double, std::milli>(ran - times.bound[name]).count()
                  << " ms (bound at " << times.bound_wall_ms[name] << " ms since the epoch)\n";
  }
  size_t running = 0;
  {
    std::lock_guard<std::mutex> lock(times.mu);
    running = times.running.size();
  }
  std::printf("agent_pods_started: %zu pods (%zu measured)\n", running, latencies.size());
  std::printf("agent_pod_start_p50: %.0f ms\n", Percentile(latencies, 0.50));
  std::printf("agent_pod_start_p99: %.0f ms\n", Percentile(latencies, 0.99));
  std::printf("agent_pod_start_max: %.0f ms\n", Percentile(latencies, 1.0));
  std::printf("agent_rss_%dpods: %.1f MiB\n", pods, static_cast<double>(rss) / 1024.0);
  std::printf("agent_rss_anon_%dpods: %.1f MiB\n", pods, static_cast<double>(rss_anon) / 1024.0);
  std::printf("agent_rss_file_%dpods: %.1f MiB\n", pods, static_cast<double>(rss_file) / 1024.0);
  std::printf("agent_threads_%dpods: %d threads\n", pods, threads);
  std::printf("agent_scale_up_seconds: %.1f s\n", total_s);
  if (burst > 0) {
    std::printf("agent_burst_pods_started: %zu pods\n", burst_latencies.size());
    std::printf("agent_burst_pod_start_p50: %.0f ms\n", Percentile(burst_latencies, 0.50));
    std::printf("agent_burst_pod_start_p99: %.0f ms\n", Percentile(burst_latencies, 0.99));
    std::printf("agent_burst_all_running_seconds: %.2f s\n", burst_s);
  }
  return running == static_cast<size_t>(pods + burst) ? 0 : 1;
}
