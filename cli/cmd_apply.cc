// gorch apply: apply manifests, or exactly a saved plan, to the live state.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "compile_flags.h"
#include "gorch/engine/apply.h"
#include "gorch/planner/plan.h"
#include "local_store.h"
#include "remote.h"

namespace gorch::cli {
namespace {

struct ApplyArgs {
  CompileFlags flags;
  std::string state_dir;
  std::string server;
  bool no_prune = false;
  bool wait = false;
  double wait_timeout_seconds = 300;
};

// A saved plan is a JSON file with a formatVersion; anything else is a source.
bool LooksLikePlanFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  auto text = ReadWholeFile(path);
  return text.ok() && text->find("\"formatVersion\"") != std::string::npos && text->find_first_not_of(" \t\r\n") != std::string::npos &&
         (*text)[text->find_first_not_of(" \t\r\n")] == '{';
}

// Compiles the sources and plans them against `live` (and `cluster`'s nodes).
Result<planner::Plan> PlanAgainst(const ApplyArgs& args, const planner::LiveState& live,
                                  const planner::ClusterSnapshot* cluster) {
  compiler::CompileOptions options;
  if (!ToCompileOptions(args.flags, options)) return Status::InvalidArgument("bad flags");
  compiler::CompileResult compiled = compiler::Compile(options);
  PrintDiagnostics(compiled.diags);
  if (!compiled.ok())
    return Status::InvalidArgument(std::to_string(compiled.diags.error_count()) + " error(s) in the sources");
  lang::Diagnostics diags;
  auto schemas = lang::LoadSchemas(options.schema_dirs, diags);
  if (!schemas) return Status::Internal("schemas failed to load");
  planner::PlanOptions plan_options;
  plan_options.diff.prune = !args.no_prune;
  if (cluster && !cluster->nodes.empty()) plan_options.cluster = cluster;
  return planner::MakePlan(compiled.state, live, *schemas, plan_options);
}

// The workloads a plan creates or changes, for --wait.
std::vector<compiler::ResourceId> ChangedWorkloads(const planner::Plan& plan) {
  std::vector<compiler::ResourceId> out;
  for (const auto& s : plan.steps)
    if (s.change.action == planner::Action::kCreate || s.change.action == planner::Action::kUpdate)
      out.push_back(s.change.id);
  return out;
}

// gorch apply --server: plans against the server's live state (or sends the saved
// plan) and applies through the API; the server refuses a stale plan.
int RunRemoteApply(const ApplyArgs& args, bool from_plan) {
  auto client = ConnectServer(args.server);
  if (!client.ok()) {
    std::cerr << "gorch: error: --server: " << client.status().message() << "\n";
    return kExitError;
  }
  Result<planner::Plan> plan = Status::Internal("unset");
  if (from_plan) {
    auto text = ReadWholeFile(args.flags.path);
    plan = text.ok() ? planner::Plan::FromJson(*text, args.flags.path) : Result<planner::Plan>(text.status());
  } else {
    auto live = (*client)->ReadLiveState();
    plan = live.ok() ? PlanAgainst(args, live->live, &live->nodes) : Result<planner::Plan>(live.status());
  }
  if (!plan.ok()) {
    std::cerr << "gorch: error: " << plan.status().message() << "; nothing applied\n";
    return kExitError;
  }
  if (!plan->HasChanges()) {
    std::cout << "No changes: the live state (revision " << plan->base_revision << ") already matches.\n";
  } else {
    auto applied = (*client)->ApplyPlan(plan->ToJson(), plan->base_revision);
    if (!applied.ok()) {
      std::cerr << "gorch: error: " << applied.status().message() << "; nothing applied\n";
      return kExitError;
    }
    std::cout << "Applied " << (from_plan ? args.flags.path : plan->source) << " through " << args.server << ": "
              << applied->created() << " created, " << applied->updated() << " updated, " << applied->deleted()
              << " deleted; the store is at revision " << applied->revision() << ".\n";
  }
  if (!args.wait) return kExitOk;
  auto waited = WaitForWorkloads(**client, ChangedWorkloads(*plan),
                                 std::chrono::milliseconds(static_cast<int64_t>(args.wait_timeout_seconds * 1000)));
  if (!waited.ok()) {
    std::cerr << "gorch: error: " << waited.message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

Result<planner::Plan> PlanFromSources(const ApplyArgs& args, store::Store& st) {
  auto live = engine::ReadLiveState(st);
  if (!live.ok()) return live.status();
  return PlanAgainst(args, *live, nullptr);
}

int RunApply(const ApplyArgs& args) {
  const bool from_plan = args.flags.git_repo.empty() && LooksLikePlanFile(args.flags.path);
  if (!args.server.empty()) return RunRemoteApply(args, from_plan);
  if (args.state_dir.empty()) {
    std::cerr << "gorch: error: apply needs --server ADDR (a running `gorch server`) or --state DIR (a local store)\n";
    return kExitError;
  }
  if (args.wait) {
    std::cerr << "gorch: error: --wait needs --server (a local store has no controllers to wait for)\n";
    return kExitError;
  }
  auto st = OpenLocalStore(args.state_dir, /*create=*/true);
  if (!st.ok()) {
    std::cerr << "gorch: error: --state " << args.state_dir << ": " << st.status().message() << "\n";
    return kExitError;
  }
  Result<planner::Plan> plan = Status::Internal("unset");
  if (from_plan) {
    auto text = ReadWholeFile(args.flags.path);
    plan = text.ok() ? planner::Plan::FromJson(*text, args.flags.path) : Result<planner::Plan>(text.status());
  } else {
    plan = PlanFromSources(args, **st);
  }
  if (!plan.ok()) {
    std::cerr << "gorch: error: " << plan.status().message() << "; nothing applied\n";
    return kExitError;
  }
  if (!plan->HasChanges()) {
    std::cout << "No changes: the live state (revision " << plan->base_revision << ") already matches.\n";
    return kExitOk;
  }
  auto applied = engine::ApplyPlan(**st, *plan);
  if (!applied.ok()) {
    std::cerr << "gorch: error: " << applied.status().message() << "; nothing applied\n";
    return kExitError;
  }
  std::cout << "Applied " << (from_plan ? args.flags.path : plan->source) << ": " << applied->created << " created, "
            << applied->updated << " updated, " << applied->deleted << " deleted; the store is at revision "
            << applied->revision << ".\n";
  return kExitOk;
}

void AddApplyCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* cmd = app.add_subcommand("apply", "Apply manifests, or exactly a saved plan, to the live state");
  cmd->footer(
      "PATH is a source (directory, file, or --git) or a plan saved by `gorch plan --out FILE`.\n"
      "A saved plan is refused when the live state changed since it was made (a stale plan).\n"
      "Examples:\n"
      "  gorch apply examples/shop --server 127.0.0.1:7420 --wait\n"
      "  gorch apply examples/shop --state /var/lib/gorch\n"
      "  gorch plan examples/shop --state /var/lib/gorch --out shop.plan && gorch apply shop.plan --state /var/lib/gorch");
  AddCompileFlags(cmd, args->flags);
  auto* state_opt =
      cmd->add_option("--state", args->state_dir, "Data directory of the live store (LMDB); created if missing");
  cmd->add_option("--server", args->server, "Apply through a running `gorch server` at HOST:PORT")->excludes(state_opt);
  cmd->add_flag("--wait", args->wait, "With --server: wait until the changed workloads are rolled out; exit 1 if one fails");
  cmd->add_option("--timeout", args->wait_timeout_seconds, "Seconds --wait waits at most")->capture_default_str();
  cmd->add_flag("--no-prune", args->no_prune, "Keep resources that left git instead of deleting them");
  cmd->callback([args, &state] { state.exit_code = RunApply(*args); });
}

const bool registered = RegisterCommand("apply", &AddApplyCommand);

}  // namespace
}  // namespace gorch::cli
