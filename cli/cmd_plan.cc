// gorch plan: what applying the desired state to the live state would do.
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "compile_flags.h"
#include "gorch/engine/apply.h"
#include "gorch/planner/plan.h"
#include "gorch/planner/scheduler_input.h"
#include "local_store.h"
#include "remote.h"

namespace gorch::cli {
namespace {

struct PlanArgs {
  CompileFlags flags;
  std::string state_dir;
  std::string server;
  std::string live_file;
  std::string base_rev;  // with --git: plan against what this revision would deploy
  std::string nodes;
  std::string out;
  std::string output = "text";
  bool detailed_exitcode = false;
  bool no_prune = false;
  std::string as_source;  // --source NAME: plan with owner "git:NAME"
  bool most_allocated = false;
};

// The live state a cluster would have after applying revision `base` of the same
// repository and path: what `gorch plan --git . --rev HEAD --base origin/main`
// compares with (the pull-request view, no cluster needed).
bool BaseRevisionAsLive(const compiler::CompileOptions& head, const std::string& base, planner::LiveState& live) {
  compiler::CompileOptions options = head;
  options.git_rev = base;
  compiler::CompileResult compiled = compiler::Compile(options);
  PrintDiagnostics(compiled.diags);
  if (!compiled.ok()) {
    std::cerr << "gorch: --base " << base << ": " << compiled.diags.error_count()
              << " error(s) in the base revision; no plan made\n";
    return false;
  }
  live = planner::LiveState{};
  live.applied_commit = compiled.state.commit;
  live.applied_hash = compiled.state.hash;
  for (const compiler::Resource& r : compiled.state.resources)
    live.resources.push_back({r.id, r.api_version, r.object, r.content_hash, true, 0});
  live.Sort();
  return true;
}

int RunPlan(const PlanArgs& args) {
  compiler::CompileOptions options;
  if (!ToCompileOptions(args.flags, options)) return kExitError;
  if (!args.state_dir.empty() + !args.live_file.empty() + !args.server.empty() + !args.base_rev.empty() > 1) {
    std::cerr << "gorch: error: --server, --state, --live and --base are alternatives: give one\n";
    return kExitError;
  }
  planner::LiveState live;
  planner::ClusterSnapshot cluster;
  if (!args.server.empty()) {
    auto client = ConnectServer(args.server);
    auto remote = client.ok() ? (*client)->ReadLiveState() : Result<engine::RemoteLiveState>(client.status());
    if (!remote.ok()) {
      std::cerr << "gorch: error: --server " << args.server << ": " << remote.status().message() << "\n";
      return kExitError;
    }
    live = std::move(remote->live);
    cluster = std::move(remote->nodes);
  } else if (!args.state_dir.empty()) {
    Status s = ReadLocalState(args.state_dir, live, cluster);
    if (!s.ok()) {
      std::cerr << "gorch: error: --state " << args.state_dir << ": " << s.message() << "\n";
      return kExitError;
    }
  } else if (!args.live_file.empty()) {
    auto text = ReadWholeFile(args.live_file);
    auto parsed = text.ok() ? planner::LiveState::FromJson(*text, args.live_file) : Result<planner::LiveState>(text.status());
    if (!parsed.ok()) {
      std::cerr << "gorch: error: --live: " << parsed.status().message() << "\n";
      return kExitError;
    }
    live = std::move(*parsed);
  }
  if (!args.base_rev.empty()) {
    if (args.flags.git_repo.empty()) {
      std::cerr << "gorch: error: --base needs --git (it names a revision of that repository)\n";
      return kExitError;
    }
    if (!args.out.empty()) {
      std::cerr << "gorch: error: --base and --out: a plan against another revision is for review, not to apply\n";
      return kExitError;
    }
    if (!BaseRevisionAsLive(options, args.base_rev, live)) return kExitError;
    // What the base revision deployed, it deployed as this plan's owner.
    if (!args.as_source.empty())
      for (planner::LiveResource& r : live.resources) r.owner = "git:" + args.as_source;
  }
  if (!args.nodes.empty()) {
    auto described = planner::ParseDescribedCluster(args.nodes);
    if (!described.ok()) {
      std::cerr << "gorch: error: --nodes: " << described.status().message() << "\n";
      return kExitError;
    }
    cluster = std::move(*described);
  }

  compiler::CompileResult compiled = compiler::Compile(options);
  PrintDiagnostics(compiled.diags);
  if (!compiled.ok()) {
    std::cerr << "gorch: " << compiled.diags.error_count() << " error(s); no plan made\n";
    return kExitError;
  }
  lang::Diagnostics schema_diags;
  auto schemas = lang::LoadSchemas(options.schema_dirs, schema_diags);
  if (!schemas) {
    PrintDiagnostics(schema_diags);
    return kExitError;
  }
  planner::PlanOptions plan_options;
  plan_options.diff.prune = !args.no_prune;
  if (!args.as_source.empty()) plan_options.diff.owner = "git:" + args.as_source;
  if (args.most_allocated) plan_options.scheduler.resource_scoring = planner::ResourceScoring::kMostAllocated;
  if (!cluster.nodes.empty()) plan_options.cluster = &cluster;
  auto plan = planner::MakePlan(compiled.state, live, *schemas, plan_options);
  if (!plan.ok()) {
    std::cerr << "gorch: error: " << plan.status().message() << "\n";
    return kExitError;
  }
  if (!args.out.empty()) {
    std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
    out << plan->ToJson() << "\n";
    if (!out.flush()) {
      std::cerr << "gorch: error: cannot write " << args.out << "\n";
      return kExitError;
    }
  }
  if (args.output == "json") std::cout << plan->ToJson() << "\n";
  else if (args.output == "markdown") std::cout << planner::RenderMarkdown(*plan);
  else std::cout << planner::RenderText(*plan, StdoutIsTerminal());
  if (!args.out.empty() && args.output == "text")
    std::cout << "\nSaved the plan to " << args.out << ": `gorch apply " << args.out << "` applies exactly this.\n";
  if (args.detailed_exitcode && plan->HasChanges()) return kExitChanges;
  return kExitOk;
}

void AddPlanCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand("plan", "Show what applying the manifests would change, and where pods go");
  cmd->footer(
      "Plans against a running server (--server), a local store (--state), a live-state file (--live),\n"
      "or nothing (all creates);\n"
      "--nodes describes a cluster to place pods on without credentials, e.g. 5x4cpu16Gi,2x8cpu32Gi:gpu=true.\n"
      "Examples:\n"
      "  gorch plan examples/shop --nodes 3x4cpu16Gi\n"
      "  gorch plan --git . --rev HEAD --state /var/lib/gorch -o markdown --detailed-exitcode\n"
      "  gorch plan --git . --rev HEAD --base origin/main -o markdown   # a pull request's changes\n"
      "Exit codes: 0 ok (with --detailed-exitcode: no changes), 1 error, 2 changes present.");
  AddCompileFlags(cmd, args->flags);
  auto* state_opt = cmd->add_option("--state", args->state_dir, "Data directory of the live store (LMDB)");
  cmd->add_option("--server", args->server, "Plan against the live state of `gorch server` at HOST:PORT")
      ->excludes(state_opt);
  cmd->add_option("--live", args->live_file, "A live-state JSON file instead of a store")->excludes(state_opt);
  cmd->add_option("--base", args->base_rev,
                  "With --git: plan against what this revision would deploy (a pull request's base, e.g. origin/main)");
  cmd->add_option("--nodes", args->nodes, "Described cluster to place pods on, e.g. 5x4cpu16Gi,2x8cpu32Gi:gpu=true");
  cmd->add_option("--out", args->out, "Save the plan (versioned JSON) for `gorch apply FILE`");
  cmd->add_option("-o,--output", args->output, "Output format")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  cmd->add_flag("--detailed-exitcode", args->detailed_exitcode, "Exit 2 when the plan has changes, 0 when none");
  cmd->add_flag("--no-prune", args->no_prune, "Keep resources that left git instead of deleting them");
  cmd->add_option("--source", args->as_source,
                  "Plan as the server's git source NAME would: prune only what it applied, and its resources are "
                  "not taken over (use its --path and --namespace too)");
  cmd->add_flag("--most-allocated", args->most_allocated, "Pack pods onto the fullest nodes (default: spread)");
  cmd->callback([args, &state] { state.exit_code = RunPlan(*args); });
}

const bool registered = RegisterCommand("plan", &AddPlanCommand);

}  // namespace
}  // namespace gorch::cli
