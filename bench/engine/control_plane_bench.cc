// Control plane benchmark (issue 5): starts a real `gorch server` (LMDB in a temp
// dir), registers N hollow nodes as in-process agents (the hollow runtime, as
// kubemark), applies one Deployment of M replicas and measures the time from the
// apply to every replica available, pods/s, the server's peak RSS (VmHWM), and the
// latency of a mutating API call (RolloutPause on a second, empty Deployment: a
// read and a compare-and-swap transaction on the store) issued in a loop meanwhile.
// Each agent has its own connection to the server, as agents on their own machines
// have; --shared-connection lets gRPC multiplex them all over one (what the first
// figures measured).
//   control_plane_bench [--nodes 100] [--pods 1000] [--timeout 600] [--shared-connection]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gorch/agent/agent.h"
#include "gorch/agent/hollow_runtime.h"
#include "gorch/compiler/compile.h"
#include "gorch/engine/client.h"
#include "gorch/planner/plan.h"
#include "gorch_process.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using gorch::testing::FreePort;

// A field of /proc/<pid>/status in KiB ("VmHWM", "RssAnon", "RssFile"; 0 when unreadable).
long StatusKiB(pid_t pid, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 && line[field.size()] == ':')
      return std::atol(line.c_str() + field.size() + 1);
  return 0;
}

std::string DeploymentYaml(const std::string& name, int replicas) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  namespace: bench\nspec:\n" +
         "  replicas: " + std::to_string(replicas) + "\n  selector:\n    matchLabels: {app: " + name + "}\n" +
         "  template:\n    metadata:\n      labels: {app: " + name + "}\n    spec:\n      containers:\n" +
         "        - name: c\n          image: localhost/busybox:1\n" +
         "          resources:\n            requests: {cpu: 10m, memory: 16Mi}\n";
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

pid_t g_server = -1;

// Stops the server and exits at once (agent threads are not joined).
int Fail(const std::string& what) {
  std::cerr << "control_plane_bench: " << what << "\n";
  if (g_server > 0) ::kill(g_server, SIGTERM);
  std::fflush(nullptr);
  std::_Exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gorch;
  int nodes = 100, pods = 1000, timeout_s = 600;
  bool shared_connection = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--shared-connection") {
      shared_connection = true;
      continue;
    }
    if (i + 1 >= argc) return Fail("flag " + a + " needs a value");
    if (a == "--nodes") nodes = std::atoi(argv[++i]);
    else if (a == "--pods") pods = std::atoi(argv[++i]);
    else if (a == "--timeout") timeout_s = std::atoi(argv[++i]);
    else return Fail("unknown flag " + a);
  }
  fs::path dir = fs::temp_directory_path() / ("gorch-cp-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string address = "127.0.0.1:" + std::to_string(FreePort());
  pid_t server = gorch::testing::Spawn({"server", "--data", (dir / "data").string(), "--listen", address,
                              "--heartbeat-ttl", "60", "--node-grace", "600"},
                             dir / "server.log");
  g_server = server;
  engine::ClientOptions copts;
  copts.address = address;
  copts.timeout = std::chrono::seconds(30);
  auto client = engine::GorchClient::Connect(copts);
  if (!client.ok()) return Fail(client.status().ToString());

  // N hollow nodes in this process.
  std::atomic<bool> stop{false};
  std::vector<std::thread> agents;
  const int pods_per_node = std::max(110, pods / std::max(1, nodes) * 2);
  for (int i = 0; i < nodes; ++i) {
    agents.emplace_back([&, i] {
      agent::AgentOptions o;
      o.server = address;
      o.node = "hollow-" + std::to_string(i);
      o.pods = pods_per_node;
      o.cpu = "64";
      o.memory = "256Gi";
      o.sync_interval = std::chrono::milliseconds(500);
      o.own_connection = !shared_connection;
      agent::Agent a(std::move(o), std::make_unique<agent::HollowRuntime>());
      (void)a.Run(stop);
    });
  }
  const auto reg_start = Clock::now();
  while (true) {
    v1::ListRequest req;
    req.set_kind("Node");
    req.set_all_namespaces(true);
    auto r = (*client)->List(req);
    if (r.ok() && r->objects_size() >= nodes) break;
    if (Clock::now() - reg_start > std::chrono::seconds(timeout_s)) return Fail("nodes did not register");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double reg_s = std::chrono::duration<double>(Clock::now() - reg_start).count();
  const long idle_anon_kib = StatusKiB(server, "RssAnon");

  // The desired state: namespace, the measured Deployment, an empty probe Deployment.
  lang::Diagnostics diags;
  auto schemas = lang::LoadSchemas({}, diags);
  auto source = compiler::MakeMemorySource(
      {{"ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n"},
       {"probe.yaml", DeploymentYaml("probe", 0)}});
  auto compiled = compiler::CompileSource(*source, *schemas, {});
  if (!compiled.ok()) return Fail("compile failed");
  // Plans against the live state and applies; a plan gone stale meanwhile is made again.
  auto apply = [&](const compiler::DesiredState& desired) -> bool {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto live = (*client)->ReadLiveState();
      if (!live.ok()) return Fail(live.status().ToString());
      planner::PlanOptions po;
      po.cluster = &live->nodes;
      auto plan = planner::MakePlan(desired, live->live, *schemas, po);
      if (!plan.ok()) return Fail(plan.status().ToString());
      auto applied = (*client)->ApplyPlan(plan->ToJson(), plan->base_revision);
      if (applied.ok()) return true;
      if (!applied.status().IsFailedPrecondition()) return Fail(applied.status().ToString());
      std::cerr << "control_plane_bench: " << applied.status().message() << "\n";
    }
    return false;
  };
  if (!apply(compiled.state)) return Fail("first apply failed");

  auto source2 = compiler::MakeMemorySource({{"ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n"},
                                             {"probe.yaml", DeploymentYaml("probe", 0)},
                                             {"load.yaml", DeploymentYaml("load", pods)}});
  auto compiled2 = compiler::CompileSource(*source2, *schemas, {});
  if (!compiled2.ok()) return Fail("compile failed");
  const auto t0 = Clock::now();
  if (!apply(compiled2.state)) return Fail("apply of the load failed");
  const double apply_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // Mutating-call probe, from the apply on (started earlier, its writes would make
  // every plan stale before it is applied: the stale check is on the store revision).
  std::vector<double> latencies_ms;
  std::atomic<bool> probe_stop{false};
  std::thread probe([&] {
    v1::RolloutTarget t;
    t.set_kind("Deployment");
    t.set_namespace_("bench");
    t.set_name("probe");
    bool paused = true;
    while (!probe_stop) {
      auto t0 = Clock::now();
      Status s = (*client)->RolloutPause(t, paused);
      if (s.ok()) latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      paused = !paused;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  int64_t available = 0;
  while (available < pods) {
    auto got = (*client)->Get("Deployment", "bench", "load");
    if (got.ok() && !got->object().status_json().empty()) {
      auto st = nlohmann::json::parse(got->object().status_json(), nullptr, false);
      if (st.is_object()) available = st.value("availableReplicas", int64_t{0});
    }
    if (Clock::now() - t0 > std::chrono::seconds(timeout_s)) break;
    if (available < pods) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double run_s = std::chrono::duration<double>(Clock::now() - t0).count();
  probe_stop = true;
  probe.join();
  const long rss_kib = StatusKiB(server, "VmHWM");
  const long anon_kib = StatusKiB(server, "RssAnon"), file_kib = StatusKiB(server, "RssFile");

  std::printf("nodes: %d count\n", nodes);
  std::printf("agent_connections: %d count\n", shared_connection ? 1 : nodes);
  std::printf("pods: %d count\n", pods);
  std::printf("pods_available: %lld count\n", static_cast<long long>(available));
  std::printf("node_registration: %.2f s\n", reg_s);
  std::printf("apply_call: %.3f s\n", apply_s);
  std::printf("apply_to_all_running: %.2f s\n", run_s);
  std::printf("pods_per_second: %.1f pods/s\n", static_cast<double>(available) / run_s);
  std::printf("server_peak_rss: %.1f MiB\n", static_cast<double>(rss_kib) / 1024.0);
  std::printf("server_rss_anon_nodes_only: %.1f MiB\n", static_cast<double>(idle_anon_kib) / 1024.0);
  std::printf("server_rss_anon_end: %.1f MiB\n", static_cast<double>(anon_kib) / 1024.0);
  std::printf("server_rss_file_end: %.1f MiB\n", static_cast<double>(file_kib) / 1024.0);
  std::printf("mutating_calls: %zu count\n", latencies_ms.size());
  std::printf("mutating_latency_p50: %.2f ms\n", Percentile(latencies_ms, 0.50));
  std::printf("mutating_latency_p99: %.2f ms\n", Percentile(latencies_ms, 0.99));

  stop = true;
  for (auto& t : agents) t.join();
  ::kill(server, SIGTERM);
  int status = 0;
  ::waitpid(server, &status, 0);
  fs::remove_all(dir);
  return available >= pods ? 0 : 1;
}
