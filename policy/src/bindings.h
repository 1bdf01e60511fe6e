// The names a policy reads besides the resource's fields (docs/policy.md,
// "Names"), computed once per resource for the union of what its matching
// policies need. Pointers into the resource where possible; copies only for
// what must be assembled (containers of several lists, graph neighbours).
#pragma once

#include <deque>
#include <vector>

#include "gorch/compiler/desired_state.h"
#include "gorch/lang/eval.h"
#include "gorch/policy/policy_set.h"

namespace gorch::policy::internal {

// Edges by resource, both directions.
class Graph {
 public:
  explicit Graph(const compiler::DesiredState& state);
  struct Link {
    size_t other;
    compiler::EdgeKind kind;
  };
  const std::vector<Link>& Out(size_t i) const { return out_[i]; }
  const std::vector<Link>& In(size_t i) const { return in_[i]; }

 private:
  std::vector<std::vector<Link>> out_, in_;
};

// The pod spec of a resource that runs pods (Pod, Deployment, StatefulSet,
// DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate), or null;
// *tmpl is set to the template (for a Pod: the Pod itself).
const lang::Value* PodSpecOf(const lang::Value& object, const std::string& kind, const lang::Value** tmpl);

class ResourceBindings {
 public:
  // state is null for a document outside the graph (no neighbours).
  ResourceBindings(const compiler::Resource& r, const compiler::DesiredState* state, size_t index,
                   const Graph& graph, uint32_t needs);
  ResourceBindings(const ResourceBindings&) = delete;

  // The bindings for a policy that needs `needs` (a subset of the constructor's).
  std::vector<lang::Binding> For(uint32_t needs) const;

 private:
  void Add(std::string_view name, uint32_t need, const lang::Value* v) { all_.push_back({name, need, v}); }
  const lang::Value* Own(lang::Value v) {
    owned_.push_back(std::move(v));
    return &owned_.back();
  }
  const lang::Value* Neighbours(const compiler::DesiredState& state, const std::vector<Graph::Link>& links,
                                bool selects);

  struct Entry {
    std::string_view name;
    uint32_t need;
    const lang::Value* value;
  };
  std::vector<Entry> all_;
  std::deque<lang::Value> owned_;
};

}  // namespace gorch::policy::internal
