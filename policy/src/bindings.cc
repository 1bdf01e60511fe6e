#include "bindings.h"

namespace gorch::policy::internal {

using lang::Value;

namespace {
const Value kNull;
}  // namespace

Graph::Graph(const compiler::DesiredState& state)
    : out_(state.resources.size()), in_(state.resources.size()) {
  for (const compiler::Edge& e : state.edges) {
    if (e.from >= out_.size() || e.to >= out_.size()) continue;
    out_[e.from].push_back({e.to, e.kind});
    in_[e.to].push_back({e.from, e.kind});
  }
}

const Value* PodSpecOf(const Value& object, const std::string& kind, const Value** tmpl) {
  *tmpl = nullptr;
  const Value* t = nullptr;
  if (kind == "Pod") {
    t = &object;
  } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet" ||
             kind == "ReplicationController" || kind == "Job") {
    t = object.FindPath("spec.template");
  } else if (kind == "CronJob") {
    t = object.FindPath("spec.jobTemplate.spec.template");
  } else if (kind == "PodTemplate") {
    t = object.Find("template");
  }
  if (!t || !t->is_map()) return nullptr;
  *tmpl = t;
  const Value* spec = t->Find("spec");
  return spec && spec->is_map() ? spec : nullptr;
}

const Value* ResourceBindings::Neighbours(const compiler::DesiredState& state,
                                          const std::vector<Graph::Link>& links, bool selects) {
  Value::List items;
  for (const Graph::Link& l : links) {
    if ((l.kind == compiler::EdgeKind::kSelects) != selects) continue;
    if (l.kind == compiler::EdgeKind::kInNamespace) continue;
    items.push_back(state.resources[l.other].object);
  }
  return Own(Value::MakeList(std::move(items)));
}

ResourceBindings::ResourceBindings(const compiler::Resource& r, const compiler::DesiredState* state,
                                   size_t index, const Graph& graph, uint32_t needs) {
  const Value& obj = r.object;
  if (needs & kNeedResource) Add("resource", kNeedResource, &obj);
  if (needs & kNeedName) {
    Add("name", kNeedName, Own(Value::String(r.id.name)));
    Add("namespace", kNeedName, Own(Value::String(r.id.namespace_)));
  }
  if (needs & kNeedLabels) {
    const Value* labels = obj.FindPath("metadata.labels");
    const Value* annotations = obj.FindPath("metadata.annotations");
    Add("labels", kNeedLabels, labels ? labels : &kNull);
    Add("annotations", kNeedLabels, annotations ? annotations : &kNull);
  }
  const Value* tmpl = nullptr;
  const Value* spec = (needs & (kNeedPodSpec | kNeedContainers)) ? PodSpecOf(obj, r.id.kind, &tmpl) : nullptr;
  if (needs & kNeedPodSpec) {
    const Value* labels = tmpl ? tmpl->FindPath("metadata.labels") : nullptr;
    Add("podSpec", kNeedPodSpec, spec ? spec : &kNull);
    Add("podTemplate", kNeedPodSpec, tmpl ? tmpl : &kNull);
    Add("podLabels", kNeedPodSpec, labels ? labels : &kNull);
  }
  if (needs & kNeedContainers) {
    const Value* containers = &kNull;
    if (spec) {
      const Value* init = spec->Find("initContainers");
      const Value* main = spec->Find("containers");
      const Value* eph = spec->Find("ephemeralContainers");
      auto listed = [](const Value* v) { return v && v->is_list() && !v->as_list().empty(); };
      if (!listed(init) && !listed(eph)) {
        containers = main ? main : &kNull;  // the common case: no copy
      } else {
        Value::List all;
        for (const Value* l : {init, main, eph})
          if (listed(l)) all.insert(all.end(), l->as_list().begin(), l->as_list().end());
        containers = Own(Value::MakeList(std::move(all)));
      }
    }
    Add("containers", kNeedContainers, containers);
  }
  auto graph_list = [&](std::string_view name, uint32_t need, bool out, bool selects) {
    if (!(needs & need)) return;
    if (!state) return Add(name, need, Own(Value::MakeList()));
    Add(name, need, Neighbours(*state, out ? graph.Out(index) : graph.In(index), selects));
  };
  graph_list("selects", kNeedSelects, true, true);
  graph_list("selectedBy", kNeedSelectedBy, false, true);
  graph_list("uses", kNeedUses, true, false);
  graph_list("usedBy", kNeedUsedBy, false, false);
}

std::vector<lang::Binding> ResourceBindings::For(uint32_t needs) const {
  std::vector<lang::Binding> out;
  out.reserve(all_.size() + 4);
  for (const Entry& e : all_)
    if (needs & e.need) out.push_back({e.name, e.value});
  return out;
}

}  // namespace gorch::policy::internal
