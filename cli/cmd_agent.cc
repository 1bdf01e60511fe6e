// gorch agent: the node agent (registers, heartbeats, runs the pods bound to it).
#ifdef HAVE_GORCH_AGENT
#include <csignal>
#include <iostream>

#include "commands.h"
#include "gorch/agent/agent.h"
#include "gorch/agent/hollow_runtime.h"
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
  std::string runtime = "hollow";
  bool quiet = false;
};

int RunAgent(const AgentArgs& args) {
  auto labels = agent::ParseLabels(args.labels);
  auto taints = agent::ParseTaints(args.taints);
  for (const Status& s : {labels.status(), taints.status()}) {
    if (!s.ok()) {
      std::cerr << "gorch: error: " << s.message() << "\n";
      return kExitError;
    }
  }
  if (args.runtime != "hollow") {
    std::cerr << "gorch: error: --runtime " << args.runtime
              << ": only the hollow runtime exists in this build (the CRI runtime comes next)\n";
    return kExitError;
  }
  agent::AgentOptions options;
  options.server = args.server;
  options.node = args.node;
  options.labels = std::move(*labels);
  options.taints = std::move(*taints);
  options.cpu = args.cpu;
  options.memory = args.memory;
  options.pods = args.pods;
  if (!args.quiet) options.log = [node = args.node](const std::string& line) { LogLine("agent " + node, line); };
  agent::Agent a(std::move(options), std::make_unique<agent::HollowRuntime>());
  const std::atomic<bool>& stop = InstallStopSignals();
  Status s = a.Run(stop);
  if (!s.ok()) {
    std::cerr << "gorch: error: agent " << args.node << ": " << s.message() << "\n";
    return kExitError;
  }
  if (!args.quiet) LogLine("agent " + args.node, "stopped");
  return kExitOk;
}

void AddAgentCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<AgentArgs>();
  CLI::App* cmd = app.add_subcommand("agent", "Run a node agent: register a node and run the pods bound to it");
  cmd->footer(
      "The hollow runtime accepts pods and reports them Running and Ready without containers\n"
      "(annotations gorch.dev/hollow-exit-after-ms, gorch.dev/hollow-fail, gorch.dev/hollow-never-ready\n"
      "make pods exit, fail or stay unready). Stops on SIGTERM or SIGINT.\n"
      "Example:\n"
      "  gorch agent --server 127.0.0.1:7420 --node n1 --labels zone=a --taints gpu=true:NoSchedule --cpu 8 --memory 32Gi");
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  cmd->add_option("--node", args->node, "This node's name")->required();
  cmd->add_option("--labels", args->labels, "Node labels: k=v,k2=v2");
  cmd->add_option("--taints", args->taints, "Node taints: key[=value]:NoSchedule|PreferNoSchedule|NoExecute,...");
  cmd->add_option("--cpu", args->cpu, "CPU capacity (quantity)")->capture_default_str();
  cmd->add_option("--memory", args->memory, "Memory capacity (quantity)")->capture_default_str();
  cmd->add_option("--pods", args->pods, "Most pods the node runs")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--runtime", args->runtime, "Container runtime")->capture_default_str()->check(CLI::IsMember({"hollow"}));
  cmd->add_flag("-q,--quiet", args->quiet, "Log nothing but errors");
  cmd->callback([args, &state] { state.exit_code = RunAgent(*args); });
}

const bool registered = RegisterCommand("agent", &AddAgentCommand);

}  // namespace
}  // namespace gorch::cli
#endif  // HAVE_GORCH_AGENT
