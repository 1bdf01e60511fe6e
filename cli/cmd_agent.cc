// gorch agent: the node agent (registers, heartbeats, runs the pods bound to it).
#ifdef HAVE_GORCH_AGENT
#include <malloc.h>

#include <csignal>
#include <iostream>

#include "commands.h"
#include "gorch/agent/agent.h"
#include "gorch/agent/cri_runtime.h"
#include "gorch/agent/hollow_runtime.h"
#include "gorch/agent/log_server.h"
#include "log_line.h"

namespace gorch::cli {
namespace {

struct AgentArgs {
  std::string server = "127.0.0.1:7420";
  std::string node;
  std::string labels;
  std::string taints;
  std::string cpu = "4";
  std::string memory = "16Gi";
  int64_t pods = 110;
  std::string runtime = "cri";
  std::string cri = "unix:///run/containerd/containerd.sock";
  std::string root = "/var/lib/gorch/agent";
  std::string pod_network = "host";
  std::string listen = "127.0.0.1:0";
  std::string host_ip = "127.0.0.1";
  int64_t backoff_base_ms = 10000;
  bool quiet = false;
};

int Fail(const std::string& node, const std::string& message) {
  std::cerr << "gorch: error: agent " << node << ": " << message << "\n";
  return kExitError;
}

int RunAgent(const AgentArgs& args) {
  // Every pod has a worker thread; glibc would give busy threads arenas of their
  // own (up to 8 per core), which costs resident memory for nothing here.
  mallopt(M_ARENA_MAX, 2);
  auto labels = agent::ParseLabels(args.labels);
  auto taints = agent::ParseTaints(args.taints);
  for (const Status& s : {labels.status(), taints.status()}) {
    if (!s.ok()) {
      std::cerr << "gorch: error: " << s.message() << "\n";
      return kExitError;
    }
  }
  agent::AgentOptions options;
  options.server = args.server;
  options.node = args.node;
  options.labels = std::move(*labels);
  options.taints = std::move(*taints);
  options.cpu = args.cpu;
  options.memory = args.memory;
  options.pods = args.pods;
  std::function<void(const std::string&)> log;
  if (!args.quiet) log = [node = args.node](const std::string& line) { LogLine("agent " + node, line); };
  options.log = log;

  std::unique_ptr<agent::ContainerRuntime> runtime;
  std::unique_ptr<agent::LogServer> log_server;
  if (args.runtime == "hollow") {
    runtime = std::make_unique<agent::HollowRuntime>();
  } else {
    agent::CriOptions cri;
    cri.endpoint = args.cri;
    cri.root = args.root;
    cri.pod_network = args.pod_network;
    cri.host_ip = args.host_ip;
    cri.backoff_base = std::chrono::milliseconds(args.backoff_base_ms);
    cri.get_object = agent::ServerObjectGetter(args.server);
    cri.log = log;
    auto connected = agent::CriRuntime::Connect(std::move(cri));
    if (!connected.ok())
      return Fail(args.node, connected.status().message() +
                                 " (--cri names the runtime's socket; --runtime hollow runs pods without containers)");
    agent::CriRuntime* raw = connected->get();
    runtime = std::move(*connected);
    agent::LogSource source;
    source.locate = [raw](const std::string& ns, const std::string& pod, const std::string& c, bool previous) {
      return raw->LogPath(ns, pod, c, previous);
    };
    source.alive = [raw](const std::string& ns, const std::string& pod) { return raw->HasPod(ns, pod); };
    auto server = agent::LogServer::Start(args.listen, std::move(source));
    if (!server.ok()) return Fail(args.node, server.status().message());
    log_server = std::move(*server);
    options.agent_address = log_server->Address();
    if (log) log("serving logs on " + options.agent_address);
  }
  Status s;
  {
    agent::Agent a(std::move(options), std::move(runtime));
    const std::atomic<bool>& stop = InstallStopSignals();
    s = a.Run(stop);
    log_server.reset();  // it reads the runtime the agent owns
  }
  if (!s.ok()) return Fail(args.node, s.message());
  if (!args.quiet) LogLine("agent " + args.node, "stopped");
  return kExitOk;
}

void AddAgentCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<AgentArgs>();
  CLI::App* cmd = app.add_subcommand("agent", "Run a node agent: register a node and run the pods bound to it");
  cmd->footer(
      "The cri runtime runs pods as CRI sandboxes and containers (containerd); its state (volumes,\n"
      "logs, PVC folders) lives under --root, and `gorch logs` reads logs through --listen.\n"
      "The hollow runtime accepts pods and reports them Running and Ready without containers\n"
      "(annotations gorch.dev/hollow-exit-after-ms, gorch.dev/hollow-fail, gorch.dev/hollow-never-ready\n"
      "make pods exit, fail or stay unready). Stops on SIGTERM or SIGINT; pods keep running and the\n"
      "next agent adopts them.\n"
      "Examples:\n"
      "  gorch agent --server 127.0.0.1:7420 --node n1 --cri unix:///run/containerd/containerd.sock\n"
      "  gorch agent --server 127.0.0.1:7420 --node n2 --runtime hollow --labels zone=a --cpu 8 --memory 32Gi");
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  cmd->add_option("--node", args->node, "This node's name")->required();
  cmd->add_option("--labels", args->labels, "Node labels: k=v,k2=v2");
  cmd->add_option("--taints", args->taints, "Node taints: key[=value]:NoSchedule|PreferNoSchedule|NoExecute,...");
  cmd->add_option("--cpu", args->cpu, "CPU capacity (quantity)")->capture_default_str();
  cmd->add_option("--memory", args->memory, "Memory capacity (quantity)")->capture_default_str();
  cmd->add_option("--pods", args->pods, "Most pods the node runs")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--runtime", args->runtime, "Container runtime")->capture_default_str()->check(CLI::IsMember({"cri", "hollow"}));
  cmd->add_option("--cri", args->cri, "CRI endpoint of the container runtime (cri runtime)")->capture_default_str();
  cmd->add_option("--root", args->root, "The agent's state: pod volumes, logs, PVC folders (cri runtime)")
      ->capture_default_str();
  cmd->add_option("--pod-network", args->pod_network,
                  "host: pods on the node's network; cni: pods get their own IP from the runtime's CNI")
      ->capture_default_str()
      ->check(CLI::IsMember({"host", "cni"}));
  cmd->add_option("--listen", args->listen, "The agent's own endpoint for `gorch logs` (port 0: a free one)")
      ->capture_default_str();
  cmd->add_option("--host-ip", args->host_ip, "The podIP of host-network pods")->capture_default_str();
  cmd->add_option("--backoff-base-ms", args->backoff_base_ms,
                  "First delay between restarts of a crashing container, doubling up to 5 min")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{300000}));
  cmd->add_flag("-q,--quiet", args->quiet, "Log nothing but errors");
  cmd->callback([args, &state] { state.exit_code = RunAgent(*args); });
}

const bool registered = RegisterCommand("agent", &AddAgentCommand);

}  // namespace
}  // namespace gorch::cli
#endif  // HAVE_GORCH_AGENT
