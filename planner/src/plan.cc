// MakePlan: diff, then pods of each changed workload, placed by the scheduler.
#include "gorch/planner/plan.h"

#include <algorithm>
#include <set>

#include "gorch/planner/workload_pods.h"

namespace gorch::planner {

using lang::Value;

// plan_rollout.cc
Status AddRollout(const compiler::Resource& r, const LiveResource* live, PlanStep& step);

namespace {

bool IsWorkload(const std::string& kind) {
  return kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet" ||
         kind == "Job" || kind == "Pod";
}

// Did the update touch the pod template (a rollout) rather than, say, replicas?
bool TemplateChanged(const ResourceChange& c) {
  for (const FieldChange& f : c.fields)
    if (f.path.rfind("spec.template", 0) == 0 || (c.id.kind == "Pod" && f.path.rfind("spec", 0) == 0)) return true;
  return false;
}

bool ReplicasChanged(const ResourceChange& c) {
  for (const FieldChange& f : c.fields)
    if (f.path == "spec.replicas" || f.path == "spec.parallelism") return true;
  return false;
}

class PlanBuilder {
 public:
  explicit PlanBuilder(const PlanOptions& options) : options_(options) {}

  Status Init() {
    if (!options_.cluster) return Status::Ok();
    auto s = Scheduler::Create(*options_.cluster, options_.scheduler);
    if (!s.ok()) return s.status();
    scheduler_.emplace(std::move(*s));
    return Status::Ok();
  }

  // Pods for a created workload, or a rolled-out one; each placed in turn.
  // skip: pods that already run (a scale-up places only the new ones).
  Status PlacePods(const compiler::Resource& r, PlanStep& step, PlanSummary& summary,
                   const std::set<std::string>& skip = {}) {
    const Value* tmpl = PodTemplate(r);
    if (!tmpl) return Status::Ok();
    std::vector<std::string> names;
    if (r.id.kind == "DaemonSet") {
      if (!scheduler_) return Status::Ok();
      return PlaceDaemonSet(r, *tmpl, step, summary);
    }
    names = DesiredPodNames(r);
    for (const std::string& name : names) {
      if (skip.count(name)) continue;
      PodPlacement p{name, "", ""};
      if (scheduler_) {
        auto req = PodRequestFor(r, name);
        if (!req.ok()) return Status::InvalidArgument(r.id.ToString() + ": " + req.status().message());
        auto placed = scheduler_->ScheduleOne(*req);
        if (!placed.ok()) return placed.status();
        if (placed->scheduled()) {
          p.node = placed->node;
          p.reason = DescribeScore(placed->score, options_.scheduler.weights);
          ++summary.pods_placed;
        } else {
          p.reason = placed->message;
          ++summary.pods_unschedulable;
        }
      }
      step.placements.push_back(std::move(p));
    }
    return Status::Ok();
  }

 private:
  // One pod per node the template may run on: pinned through required node
  // affinity on the hostname label, and kept where the filters pass.
  Status PlaceDaemonSet(const compiler::Resource& r, const Value& tmpl, PlanStep& step, PlanSummary& summary) {
    for (const NodeInfo& node : options_.cluster->nodes) {
      std::string name = r.id.name + "-" + node.name;
      auto req = PodRequestFor(r, name);
      if (!req.ok()) return Status::InvalidArgument(r.id.ToString() + ": " + req.status().message());
      NodeSelectorTerm pin{{{std::string(kHostnameLabel), SelectorOperator::kIn, {node.name}}}};
      if (req->required_node_affinity.empty()) {
        req->required_node_affinity.push_back(pin);
      } else {
        for (auto& term : req->required_node_affinity)
          term.match_expressions.push_back(pin.match_expressions[0]);
      }
      auto placed = scheduler_->ScheduleOne(*req);
      if (!placed.ok()) return placed.status();
      if (!placed->scheduled()) continue;  // not eligible: no pod there
      step.placements.push_back({name, placed->node, "one per eligible node"});
      ++summary.pods_placed;
    }
    return Status::Ok();
  }

  const PlanOptions& options_;
  std::optional<Scheduler> scheduler_;
};

}  // namespace

Result<Plan> MakePlan(const compiler::DesiredState& desired, const LiveState& live,
                      const lang::SchemaSet& schemas, const PlanOptions& options) {
  Plan plan;
  plan.base_revision = live.revision;
  plan.desired_hash = desired.hash;
  plan.commit = desired.commit;
  plan.source = desired.source;
  plan.owner = options.diff.owner;
  PlanBuilder builder(options);
  GORCH_RETURN_IF_ERROR(builder.Init());
  for (ResourceChange& c : Diff(desired, live, schemas, options.diff)) {
    switch (c.action) {
      case Action::kNoOp: ++plan.summary.no_op; continue;
      case Action::kCreate: ++plan.summary.create; break;
      case Action::kUpdate: ++plan.summary.update; break;
      case Action::kDelete: ++plan.summary.remove; break;
      case Action::kOrphan: ++plan.summary.orphan; break;
    }
    PlanStep step;
    step.change = std::move(c);
    const compiler::Resource* r = desired.Find(step.change.id);
    if (r && (step.change.action == Action::kCreate || step.change.action == Action::kUpdate)) {
      step.object = r->object;
      step.content_hash = r->content_hash;
    }
    if (r && IsWorkload(r->id.kind) &&
        (step.change.action == Action::kCreate ||
         (step.change.action == Action::kUpdate && TemplateChanged(step.change)))) {
      GORCH_RETURN_IF_ERROR(builder.PlacePods(*r, step, plan.summary));
      GORCH_RETURN_IF_ERROR(AddRollout(*r, live.Find(r->id), step));
    } else if (r && step.change.action == Action::kUpdate && ReplicasChanged(step.change)) {
      // A scale: the template is the same, so the pods that run keep their names.
      compiler::Resource old;
      old.id = r->id;
      old.object = live.Find(r->id)->object;
      std::vector<std::string> running = DesiredPodNames(old);
      GORCH_RETURN_IF_ERROR(builder.PlacePods(*r, step, plan.summary, {running.begin(), running.end()}));
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace gorch::planner
