// gorch apply: apply manifests, or exactly a saved plan, to the live state.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "compile_flags.h"
#include "gorch/engine/apply.h"
#include "gorch/planner/plan.h"
#include "local_store.h"

namespace gorch::cli {
namespace {

struct ApplyArgs {
  CompileFlags flags;
  std::string state_dir;
  bool no_prune = false;
};

// A saved plan is a JSON file with a formatVersion; anything else is a source.
bool LooksLikePlanFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  auto text = ReadWholeFile(path);
  return text.ok() && text->find("\"formatVersion\"") != std::string::npos && text->find_first_not_of(" \t\r\n") != std::string::npos &&
         (*text)[text->find_first_not_of(" \t\r\n")] == '{';
}

Result<planner::Plan> PlanFromSources(const ApplyArgs& args, store::Store& st) {
  compiler::CompileOptions options;
  if (!ToCompileOptions(args.flags, options)) return Status::InvalidArgument("bad flags");
  compiler::CompileResult compiled = compiler::Compile(options);
  PrintDiagnostics(compiled.diags);
  if (!compiled.ok())
    return Status::InvalidArgument(std::to_string(compiled.diags.error_count()) + " error(s) in the sources");
  lang::Diagnostics diags;
  auto schemas = lang::LoadSchemas(options.schema_dirs, diags);
  if (!schemas) return Status::Internal("schemas failed to load");
  auto live = engine::ReadLiveState(st);
  if (!live.ok()) return live.status();
  planner::PlanOptions plan_options;
  plan_options.diff.prune = !args.no_prune;
  return planner::MakePlan(compiled.state, *live, *schemas, plan_options);
}

int RunApply(const ApplyArgs& args) {
  if (args.state_dir.empty()) {
    std::cerr << "gorch: error: apply needs --state DIR (a local store); applying through a running "
                 "control plane (--server) comes with `gorch server`\n";
    return kExitError;
  }
  const bool from_plan = args.flags.git_repo.empty() && LooksLikePlanFile(args.flags.path);
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
      "  gorch apply examples/shop --state /var/lib/gorch\n"
      "  gorch plan examples/shop --state /var/lib/gorch --out shop.plan && gorch apply shop.plan --state /var/lib/gorch");
  AddCompileFlags(cmd, args->flags);
  cmd->add_option("--state", args->state_dir, "Data directory of the live store (LMDB); created if missing");
  cmd->add_flag("--no-prune", args->no_prune, "Keep resources that left git instead of deleting them");
  cmd->callback([args, &state] { state.exit_code = RunApply(*args); });
}

const bool registered = RegisterCommand("apply", &AddApplyCommand);

}  // namespace
}  // namespace gorch::cli
