// gorch server: the control plane: the API (engine/server.h) and the controllers
// (engine/controllers.h) over one store (LMDB in --data, or etcd).
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "gorch/engine/server.h"
#include "gorch/store/etcd_store.h"
#include "gorch/store/lmdb_store.h"
#include "log_line.h"
#if __has_include("gorch/engine/controllers.h")
#include "gorch/engine/controllers.h"
#define GORCH_HAVE_CONTROLLERS 1
#endif

namespace gorch::cli {
namespace {

struct ServerArgs {
  std::string data_dir = "gorch-data";
  std::string listen = "127.0.0.1:7420";
  std::string etcd;
  bool no_controllers = false;
  int64_t heartbeat_ttl = 10;
  double node_grace_seconds = 40;
};

Result<std::unique_ptr<store::Store>> OpenServerStore(const ServerArgs& args) {
  if (!args.etcd.empty()) {
    store::EtcdOptions options;
    options.endpoints = args.etcd;
    return store::OpenEtcdStore(options);
  }
  store::LmdbOptions options;
  options.dir = args.data_dir;
  return store::OpenLmdbStore(options);
}

int RunServer(const ServerArgs& args) {
  const std::string who = "server";
  auto st = OpenServerStore(args);
  if (!st.ok()) {
    std::cerr << "gorch: error: " << (args.etcd.empty() ? "--data " + args.data_dir : "--etcd " + args.etcd) << ": "
              << st.status().message() << "\n";
    return kExitError;
  }
  auto stats = (*st)->Stats();
  LogLine(who, "store " + (args.etcd.empty() ? "lmdb " + args.data_dir : "etcd " + args.etcd) + " at revision " +
                   std::to_string(stats.ok() ? stats->revision : 0));
  const std::atomic<bool>& stop = InstallStopSignals();

  engine::ServerOptions options;
  options.listen = args.listen;
  options.heartbeat_ttl_seconds = args.heartbeat_ttl;
  options.log = [who](const std::string& line) { LogLine(who, line); };
  auto api = engine::ApiServer::Start(**st, options);
  if (!api.ok()) {
    std::cerr << "gorch: error: --listen " << args.listen << ": " << api.status().message() << "\n";
    return kExitError;
  }
  std::string host = args.listen.substr(0, args.listen.rfind(':'));
  LogLine(who, "API listening on " + host + ":" + std::to_string((*api)->port()));

#ifdef GORCH_HAVE_CONTROLLERS
  std::unique_ptr<engine::ControlPlane> control;
  if (!args.no_controllers) {
    engine::ControlPlaneOptions cp;
    cp.node_grace_period = std::chrono::milliseconds(static_cast<int64_t>(args.node_grace_seconds * 1000));
    auto started = engine::ControlPlane::Start(**st, cp);
    if (!started.ok()) {
      std::cerr << "gorch: error: controllers: " << started.status().message() << "\n";
      (*api)->Shutdown(std::chrono::milliseconds(0));
      return kExitError;
    }
    control = std::move(*started);
    LogLine(who, "controllers started");
  }
#else
  LogLine(who, "controllers are not part of this build: serving the API only");
#endif

  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  LogLine(who, "stopping");
#ifdef GORCH_HAVE_CONTROLLERS
  if (control) control->Stop();
#endif
  (*api)->Shutdown(std::chrono::milliseconds(1000));
  LogLine(who, "stopped");
  return kExitOk;
}

void AddServerCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<ServerArgs>();
  CLI::App* cmd = app.add_subcommand("server", "Run the control plane: the gorch API and the controllers");
  cmd->footer(
      "Keeps the live state in an LMDB store in --data (or in etcd with --etcd) and serves the\n"
      "gorch API (docs/api.md) on --listen. Stops cleanly on SIGTERM or SIGINT.\n"
      "Example:\n"
      "  gorch server --data /var/lib/gorch --listen 127.0.0.1:7420");
  auto* data = cmd->add_option("--data", args->data_dir, "Data directory of the store (LMDB); created if missing")
                   ->capture_default_str();
  cmd->add_option("--etcd", args->etcd, "Keep the state in etcd instead: comma-separated endpoints")->excludes(data);
  cmd->add_option("--listen", args->listen, "HOST:PORT to serve the API on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--heartbeat-ttl", args->heartbeat_ttl, "Seconds a node's heartbeat lease lasts")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--node-grace", args->node_grace_seconds,
                  "Seconds a node stays NotReady before its pods are rescheduled")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_flag("--no-controllers", args->no_controllers, "Serve the API only (no control loops)");
  cmd->callback([args, &state] { state.exit_code = RunServer(*args); });
}

const bool registered = RegisterCommand("server", &AddServerCommand);

}  // namespace
}  // namespace gorch::cli
