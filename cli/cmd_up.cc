// gorch up: a whole gorch on this machine in one process: the control plane
// (the API and the controllers over an LMDB store, as `gorch server`) and one node
// agent (as `gorch agent`), running real containers through a private containerd
// that it starts under its data directory (docs/up.md).
#ifdef HAVE_GORCH_AGENT
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "gorch/agent/agent.h"
#include "gorch/agent/containerd.h"
#include "gorch/agent/hollow_runtime.h"
#include "gorch/engine/controllers.h"
#include "gorch/engine/server.h"
#include "gorch/store/lmdb_store.h"
#include "log_line.h"
#include "serve_common.h"

namespace gorch::cli {
namespace {
namespace fs = std::filesystem;

struct UpArgs {
  std::string data_dir = ".gorch-up";
  std::string listen = "127.0.0.1:7420";
  std::string node;
  std::string runtime = "cri";
  std::string cri;  // an existing runtime's socket; empty: a private containerd
  std::string pod_subnet = "198.18.0.0/24";
  std::string bridge = "gorch0";
  std::string cpu = "4";
  std::string memory = "16Gi";
  double node_grace_seconds = 40;
  bool quiet = false;
};

std::string DefaultNodeName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "local";
  std::string name = host;
  name = name.substr(0, name.find('.'));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// What runs containers for the agent, and the private containerd behind it (if any).
struct NodeRuntime {
  std::unique_ptr<agent::PrivateContainerd> containerd;  // null with --cri or hollow
  std::unique_ptr<agent::ContainerRuntime> runtime;
  std::shared_ptr<void> log_server;  // serves `gorch logs`; reads runtime (reset before it)
  std::string agent_address;
  std::string description;
};

Result<NodeRuntime> MakeRuntime(const UpArgs& args, const fs::path& data, const std::string& server) {
  NodeRuntime out;
  if (args.runtime == "hollow") {
    out.runtime = std::make_unique<agent::HollowRuntime>();
    out.description = "hollow (pods are reported Running without containers)";
    return out;
  }
#ifdef GORCH_CLI_HAVE_CRI
  std::string endpoint = args.cri;
  if (endpoint.empty()) {
    agent::ContainerdOptions options;
    options.dir = data / "containerd";
    options.pod_subnet = args.pod_subnet;
    options.bridge = args.bridge;
    auto started = agent::PrivateContainerd::Start(options);
    if (!started.ok()) return Status(started.status());
    out.containerd = std::move(*started);
    endpoint = out.containerd->Endpoint();
    if (Status s = agent::ImportLocalImages(endpoint); !s.ok()) return s;
  }
  agent::CriOptions options;
  options.endpoint = endpoint;
  options.root = data / "agent";
  options.pod_network = args.pod_subnet.empty() ? "host" : "cni";
  options.get_object = agent::ServerObjectGetter(server);
  if (!args.quiet) options.log = [](const std::string& line) { LogLine("cri", line); };
  auto cri = ConnectCriNode(std::move(options), args.listen.substr(0, args.listen.rfind(':')) + ":0");
  if (!cri.ok()) return Status(cri.status());
  out.runtime = std::move(cri->runtime);
  out.log_server = std::move(cri->log_server);
  out.agent_address = cri->agent_address;
  out.description = "cri on " + endpoint +
                    (args.pod_subnet.empty() ? ", host network" : ", pod network " + args.pod_subnet + " on bridge " +
                                                                         args.bridge);
  return out;
#else
  return Status::InvalidArgument("--runtime cri: the CRI runtime is not part of this build (use --runtime hollow)");
#endif
}

void PrintBanner(const UpArgs& args, const std::string& address, const std::string& node, const fs::path& data,
                 const NodeRuntime& rt) {
  std::cout << "gorch up: ready\n"
            << "  API      " << address << "   (export GORCH_SERVER=" << address << ")\n"
            << "  node     " << node << ": " << rt.description << "\n"
            << "  data     " << data.string() << "  (store/, containerd/, agent/: see docs/up.md)\n"
            << "Try:\n"
            << "  gorch apply examples/shop --server " << address << " --wait\n"
            << "  gorch get pods -A -o wide --server " << address << "\n"
            << "Ctrl-C stops everything"
            << (rt.containerd ? " (the containers too; the next `gorch up` on " + args.data_dir + " starts them again)"
                              : "")
            << ".\n"
            << std::flush;
}

int Fail(const std::string& what, const Status& s) {
  std::cerr << "gorch: error: " << what << ": " << s.message() << "\n";
  return kExitError;
}

int RunUp(const UpArgs& args) {
  std::error_code ec;
  fs::create_directories(args.data_dir, ec);
  if (ec) return Fail("--data " + args.data_dir, Status::IOError(ec.message()));
  const fs::path data = fs::canonical(args.data_dir);
  const std::string node = args.node.empty() ? DefaultNodeName() : args.node;
  const std::atomic<bool>& stop = InstallStopSignals();

  store::LmdbOptions store_options;
  store_options.dir = (data / "store").string();
  auto st = store::OpenLmdbStore(store_options);
  if (!st.ok()) return Fail("store " + store_options.dir, st.status());

  engine::ServerOptions server_options;
  server_options.listen = args.listen;
  if (!args.quiet) server_options.log = [](const std::string& line) { LogLine("server", line); };
  auto api = engine::ApiServer::Start(**st, server_options);
  if (!api.ok()) return Fail("--listen " + args.listen, api.status());
  const std::string address = args.listen.substr(0, args.listen.rfind(':')) + ":" + std::to_string((*api)->port());

  engine::ControlPlaneOptions cp;
  cp.node_grace_period = std::chrono::milliseconds(static_cast<int64_t>(args.node_grace_seconds * 1000));
  auto control = engine::ControlPlane::Start(**st, cp);
  if (!control.ok()) {
    (*api)->Shutdown(std::chrono::milliseconds(0));
    return Fail("controllers", control.status());
  }

  auto rt = MakeRuntime(args, data, address);
  if (!rt.ok()) {
    (*control)->Stop();
    (*api)->Shutdown(std::chrono::milliseconds(0));
    return Fail("node runtime", rt.status());
  }

  agent::AgentOptions agent_options;
  agent_options.server = address;
  agent_options.node = node;
  agent_options.cpu = args.cpu;
  agent_options.memory = args.memory;
#ifdef GORCH_CLI_HAVE_CRI
  agent_options.agent_address = rt->agent_address;  // where `gorch logs` reads this node's logs
#endif
  if (!args.quiet) agent_options.log = [node](const std::string& line) { LogLine("agent " + node, line); };
  auto a = std::make_unique<agent::Agent>(std::move(agent_options), std::move(rt->runtime));
  Status agent_status;
  std::atomic<bool> agent_done{false};
  std::thread agent_thread([&a, &stop, &agent_status, &agent_done] {
    agent_status = a->Run(stop);
    agent_done = true;
  });
  PrintBanner(args, address, node, data, *rt);

  while (!stop && !agent_done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  LogLine("up", "stopping");
  agent_thread.join();  // the agent (and its runtime) go first: nothing is left to report to
  rt->log_server.reset();
  a.reset();
  if (rt->containerd) {
    if (Status s = rt->containerd->Stop(); !s.ok()) LogLine("up", "containerd: " + s.message());
  }
  (*control)->Stop();
  (*api)->Shutdown(std::chrono::milliseconds(1000));
  LogLine("up", "stopped");
  if (!agent_status.ok()) return Fail("agent " + node, agent_status);
  return kExitOk;
}

void AddUpCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<UpArgs>();
  CLI::App* cmd = app.add_subcommand("up", "Run gorch on this machine: the control plane and one node, in one process");
  cmd->footer(
      "Serves the gorch API on --listen over an LMDB store in DATA/store, runs the controllers,\n"
      "and registers this machine as one node whose pods run as real containers: through a\n"
      "private containerd started under DATA/containerd (local images localhost/busybox:1 and\n"
      "localhost/pause:1 imported from busybox-static; pods on --pod-subnet through CNI), or\n"
      "through an existing containerd with --cri. Ctrl-C or SIGTERM stops it all; with the\n"
      "private containerd its containers stop too, and the next `gorch up` on the same --data\n"
      "runs the same pods again. Needs root for containers (docs/up.md).\n"
      "Example:\n"
      "  gorch up --data .gorch-up --listen 127.0.0.1:7420 &\n"
      "  gorch apply examples/shop --server 127.0.0.1:7420 --wait");
  cmd->add_option("--data", args->data_dir, "Data directory: store, containerd, agent (created if missing)")
      ->capture_default_str();
  cmd->add_option("--listen", args->listen, "HOST:PORT to serve the API on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--node", args->node, "This node's name (default: the host name)");
  cmd->add_option("--runtime", args->runtime, "cri: real containers; hollow: pods reported Running without any")
      ->capture_default_str()
      ->check(CLI::IsMember({"cri", "hollow"}));
  cmd->add_option("--cri", args->cri, "Use this CRI socket (unix:///...) instead of a private containerd");
  cmd->add_option("--pod-subnet", args->pod_subnet,
                  "IPv4 /24 for pod addresses (CNI bridge); \"\" puts every pod on the host network")
      ->capture_default_str();
  cmd->add_option("--bridge", args->bridge, "Name of the CNI bridge")->capture_default_str();
  cmd->add_option("--cpu", args->cpu, "The node's CPU capacity (quantity)")->capture_default_str();
  cmd->add_option("--memory", args->memory, "The node's memory capacity (quantity)")->capture_default_str();
  cmd->add_option("--node-grace", args->node_grace_seconds,
                  "Seconds a node stays NotReady before its pods are rescheduled")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_flag("-q,--quiet", args->quiet, "Log nothing but errors");
  cmd->callback([args, &state] { state.exit_code = RunUp(*args); });
}

const bool registered = RegisterCommand("up", &AddUpCommand);

}  // namespace
}  // namespace gorch::cli
#endif  // HAVE_GORCH_AGENT
