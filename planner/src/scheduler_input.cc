// PodSpec and Node manifests -> the scheduler's model.
#include "gorch/planner/scheduler_input.h"

#include <algorithm>
#include <climits>
#include <optional>

namespace gorch::planner {

namespace {

using lang::Value;

// Walks a manifest, remembering the field path for error messages.
class Reader {
 public:
  Reader(const Value& v, std::string path) : v_(v), path_(std::move(path)) {}

  const Value& value() const { return v_; }
  const std::string& path() const { return path_; }

  Status Error(std::string_view problem) const {
    std::string where = v_.pos().known() ? v_.pos().ToString() + ": " : "";
    return Status::InvalidArgument(where + path_ + ": " + std::string(problem));
  }
  // The child at key, if present and not null.
  std::optional<Reader> Child(std::string_view key) const {
    const Value* c = v_.is_map() ? v_.Find(key) : nullptr;
    if (c == nullptr || c->is_null()) return std::nullopt;
    return Reader(*c, path_ + "." + std::string(key));
  }
  Result<std::vector<Reader>> List() const {
    if (!v_.is_list()) return Error("expected a list, found " + std::string(v_.KindName()));
    std::vector<Reader> out;
    for (size_t i = 0; i < v_.as_list().size(); ++i) {
      out.emplace_back(v_.as_list()[i], path_ + "[" + std::to_string(i) + "]");
    }
    return out;
  }
  // A scalar as Kubernetes would read it: strings as they are, numbers and
  // booleans in their canonical text.
  Result<std::string> Text() const {
    if (v_.is_string()) return v_.as_string();
    if (v_.is_int() || v_.is_float() || v_.is_bool()) return v_.ToJson();
    return Error("expected a string, found " + std::string(v_.KindName()));
  }
  Result<int64_t> Int() const {
    if (!v_.is_int()) return Error("expected an integer, found " + std::string(v_.KindName()));
    return v_.as_int();
  }
  Result<bool> Bool() const {
    if (!v_.is_bool()) return Error("expected true or false, found " + std::string(v_.KindName()));
    return v_.as_bool();
  }
  Result<LabelMap> StringMap() const {
    if (!v_.is_map()) return Error("expected a map, found " + std::string(v_.KindName()));
    LabelMap out;
    for (const auto& [key, value] : v_.as_map()) {
      Result<std::string> text = Reader(value, path_ + "." + key).Text();
      if (!text.ok()) return text.status();
      out[key] = *text;
    }
    return out;
  }

 private:
  const Value& v_;
  std::string path_;
};

// Assigns the value of a Result expression to lhs, or returns its error.
#define PLANNER_CONCAT_(a, b) a##b
#define PLANNER_CONCAT(a, b) PLANNER_CONCAT_(a, b)
#define TRY_ASSIGN(lhs, expr)                                                      \
  auto PLANNER_CONCAT(result_, __LINE__) = (expr);                                 \
  if (!PLANNER_CONCAT(result_, __LINE__).ok()) return PLANNER_CONCAT(result_, __LINE__).status(); \
  lhs = std::move(PLANNER_CONCAT(result_, __LINE__)).value()

// The text of field key, or fallback when absent.
Result<std::string> TextField(const Reader& r, std::string_view key, std::string fallback = "") {
  std::optional<Reader> c = r.Child(key);
  if (!c) return fallback;
  return c->Text();
}

Result<SelectorOperator> Operator(const Reader& r, bool node_term) {
  std::string op;
  TRY_ASSIGN(op, r.Text());
  static const std::pair<std::string_view, SelectorOperator> kOps[] = {
      {"In", SelectorOperator::kIn},         {"NotIn", SelectorOperator::kNotIn},
      {"Exists", SelectorOperator::kExists}, {"DoesNotExist", SelectorOperator::kDoesNotExist},
      {"Gt", SelectorOperator::kGt},         {"Lt", SelectorOperator::kLt}};
  for (const auto& [name, value] : kOps) {
    if (op == name && (node_term || (value != SelectorOperator::kGt && value != SelectorOperator::kLt))) return value;
  }
  return r.Error("unknown operator '" + op + "'");
}

Result<std::vector<SelectorRequirement>> Requirements(const Reader& list, bool node_term) {
  std::vector<Reader> items;
  TRY_ASSIGN(items, list.List());
  std::vector<SelectorRequirement> out;
  for (const Reader& item : items) {
    SelectorRequirement req;
    TRY_ASSIGN(req.key, TextField(item, "key"));
    std::optional<Reader> op = item.Child("operator");
    if (!op) return item.Error("operator is required");
    TRY_ASSIGN(req.op, Operator(*op, node_term));
    if (std::optional<Reader> values = item.Child("values")) {
      std::vector<Reader> vs;
      TRY_ASSIGN(vs, values->List());
      for (const Reader& v : vs) {
        std::string text;
        TRY_ASSIGN(text, v.Text());
        req.values.push_back(std::move(text));
      }
    }
    out.push_back(std::move(req));
  }
  return out;
}

// A null selector selects no pod: Exists and DoesNotExist on one key never both hold.
LabelSelector SelectsNothing() {
  LabelSelector s;
  s.match_expressions = {{"gorch.dev/no-pod", SelectorOperator::kExists, {}},
                         {"gorch.dev/no-pod", SelectorOperator::kDoesNotExist, {}}};
  return s;
}

Result<LabelSelector> Selector(const Reader& owner) {
  std::optional<Reader> r = owner.Child("labelSelector");
  if (!r) return SelectsNothing();
  LabelSelector s;
  if (std::optional<Reader> labels = r->Child("matchLabels")) {
    TRY_ASSIGN(s.match_labels, labels->StringMap());
  }
  if (std::optional<Reader> exprs = r->Child("matchExpressions")) {
    TRY_ASSIGN(s.match_expressions, Requirements(*exprs, false));
  }
  return s;
}

Result<NodeSelectorTerm> NodeTerm(const Reader& r) {
  NodeSelectorTerm term;
  if (std::optional<Reader> exprs = r.Child("matchExpressions")) {
    TRY_ASSIGN(term.match_expressions, Requirements(*exprs, true));
  }
  if (std::optional<Reader> fields = r.Child("matchFields")) {
    std::vector<SelectorRequirement> reqs;
    TRY_ASSIGN(reqs, Requirements(*fields, true));
    for (SelectorRequirement& req : reqs) {
      if (req.key != "metadata.name") return fields->Error("matchFields supports metadata.name only");
      req.key = std::string(kHostnameLabel);
      term.match_expressions.push_back(std::move(req));
    }
  }
  return term;
}

Result<PodAffinityTerm> AffinityTerm(const Reader& r) {
  PodAffinityTerm term;
  TRY_ASSIGN(term.selector, Selector(r));
  TRY_ASSIGN(term.topology_key, TextField(r, "topologyKey"));
  if (std::optional<Reader> ns = r.Child("namespaces")) {
    std::vector<Reader> items;
    TRY_ASSIGN(items, ns->List());
    for (const Reader& item : items) {
      std::string text;
      TRY_ASSIGN(text, item.Text());
      term.namespaces.push_back(std::move(text));
    }
  }
  return term;
}

Result<int32_t> Weight(const Reader& r) {
  std::optional<Reader> w = r.Child("weight");
  if (!w) return r.Error("weight is required");
  int64_t v = 0;
  TRY_ASSIGN(v, w->Int());
  return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
}

// Appends the required (and weighted preferred) terms of a podAffinity or
// podAntiAffinity block.
Status PodTerms(const Reader& block, std::vector<PodAffinityTerm>* required,
                std::vector<WeightedPodAffinityTerm>* preferred) {
  if (std::optional<Reader> req = block.Child("requiredDuringSchedulingIgnoredDuringExecution")) {
    std::vector<Reader> items;
    TRY_ASSIGN(items, req->List());
    for (const Reader& item : items) {
      PodAffinityTerm term;
      TRY_ASSIGN(term, AffinityTerm(item));
      required->push_back(std::move(term));
    }
  }
  if (std::optional<Reader> pref = block.Child("preferredDuringSchedulingIgnoredDuringExecution")) {
    std::vector<Reader> items;
    TRY_ASSIGN(items, pref->List());
    for (const Reader& item : items) {
      WeightedPodAffinityTerm w;
      TRY_ASSIGN(w.weight, Weight(item));
      std::optional<Reader> term = item.Child("podAffinityTerm");
      if (!term) return item.Error("podAffinityTerm is required");
      TRY_ASSIGN(w.term, AffinityTerm(*term));
      preferred->push_back(std::move(w));
    }
  }
  return Status::Ok();
}

Status NodeAffinity(const Reader& block, PodRequest* pod) {
  if (std::optional<Reader> req = block.Child("requiredDuringSchedulingIgnoredDuringExecution")) {
    std::optional<Reader> terms = req->Child("nodeSelectorTerms");
    if (!terms) return req->Error("nodeSelectorTerms is required");
    std::vector<Reader> items;
    TRY_ASSIGN(items, terms->List());
    for (const Reader& item : items) {
      NodeSelectorTerm term;
      TRY_ASSIGN(term, NodeTerm(item));
      pod->required_node_affinity.push_back(std::move(term));
    }
  }
  if (std::optional<Reader> pref = block.Child("preferredDuringSchedulingIgnoredDuringExecution")) {
    std::vector<Reader> items;
    TRY_ASSIGN(items, pref->List());
    for (const Reader& item : items) {
      PreferredSchedulingTerm p;
      TRY_ASSIGN(p.weight, Weight(item));
      std::optional<Reader> preference = item.Child("preference");
      if (!preference) return item.Error("preference is required");
      TRY_ASSIGN(p.preference, NodeTerm(*preference));
      pod->preferred_node_affinity.push_back(std::move(p));
    }
  }
  return Status::Ok();
}

Status Affinity(const Reader& spec, PodRequest* pod) {
  std::optional<Reader> affinity = spec.Child("affinity");
  if (!affinity) return Status::Ok();
  if (std::optional<Reader> node = affinity->Child("nodeAffinity")) GORCH_RETURN_IF_ERROR(NodeAffinity(*node, pod));
  if (std::optional<Reader> p = affinity->Child("podAffinity")) {
    GORCH_RETURN_IF_ERROR(PodTerms(*p, &pod->required_pod_affinity, &pod->preferred_pod_affinity));
  }
  if (std::optional<Reader> p = affinity->Child("podAntiAffinity")) {
    GORCH_RETURN_IF_ERROR(PodTerms(*p, &pod->required_pod_anti_affinity, &pod->preferred_pod_anti_affinity));
  }
  return Status::Ok();
}

Result<TaintEffect> Effect(const Reader& r) {
  std::string text;
  TRY_ASSIGN(text, r.Text());
  for (TaintEffect e : {TaintEffect::kNoSchedule, TaintEffect::kPreferNoSchedule, TaintEffect::kNoExecute}) {
    if (text == TaintEffectName(e)) return e;
  }
  return r.Error("unknown effect '" + text + "'");
}

Status Tolerations(const Reader& spec, PodRequest* pod) {
  std::optional<Reader> list = spec.Child("tolerations");
  if (!list) return Status::Ok();
  std::vector<Reader> items;
  TRY_ASSIGN(items, list->List());
  for (const Reader& item : items) {
    Toleration t;
    TRY_ASSIGN(t.key, TextField(item, "key"));
    TRY_ASSIGN(t.value, TextField(item, "value"));
    std::string op;
    TRY_ASSIGN(op, TextField(item, "operator", "Equal"));
    if (op != "Equal" && op != "Exists") return item.Error("unknown toleration operator '" + op + "'");
    t.op = op == "Exists" ? TolerationOperator::kExists : TolerationOperator::kEqual;
    std::optional<Reader> effect = item.Child("effect");
    if (effect && !(effect->value().is_string() && effect->value().as_string().empty())) {
      TRY_ASSIGN(t.effect, Effect(*effect));
    }
    pod->tolerations.push_back(std::move(t));
  }
  return Status::Ok();
}

Status SpreadConstraints(const Reader& spec, PodRequest* pod) {
  std::optional<Reader> list = spec.Child("topologySpreadConstraints");
  if (!list) return Status::Ok();
  std::vector<Reader> items;
  TRY_ASSIGN(items, list->List());
  for (const Reader& item : items) {
    TopologySpreadConstraint c;
    std::optional<Reader> skew = item.Child("maxSkew");
    if (!skew) return item.Error("maxSkew is required");
    int64_t v = 0;
    TRY_ASSIGN(v, skew->Int());
    c.max_skew = static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
    TRY_ASSIGN(c.topology_key, TextField(item, "topologyKey"));
    std::string when;
    TRY_ASSIGN(when, TextField(item, "whenUnsatisfiable", "DoNotSchedule"));
    if (when != "DoNotSchedule" && when != "ScheduleAnyway") return item.Error("unknown whenUnsatisfiable '" + when + "'");
    c.when_unsatisfiable =
        when == "ScheduleAnyway" ? WhenUnsatisfiable::kScheduleAnyway : WhenUnsatisfiable::kDoNotSchedule;
    TRY_ASSIGN(c.selector, Selector(item));
    pod->topology_spread_constraints.push_back(std::move(c));
  }
  return Status::Ok();
}

// One container's request (its limits where it has no requests) and host ports.
Result<ResourceList> Container(const Reader& c, std::vector<HostPort>* ports) {
  ResourceList r;
  std::optional<Reader> resources = c.Child("resources");
  std::optional<Reader> requests = resources ? resources->Child("requests") : std::nullopt;
  std::optional<Reader> limits = resources ? resources->Child("limits") : std::nullopt;
  auto pick = [&](std::string_view name) -> std::optional<Reader> {
    if (requests) {
      if (auto q = requests->Child(name)) return q;
    }
    if (limits) return limits->Child(name);
    return std::nullopt;
  };
  if (auto cpu = pick("cpu")) {
    Result<int64_t> v = CpuMillis(cpu->value());
    if (!v.ok()) return cpu->Error(v.status().message());
    r.cpu_millis = *v;
  }
  if (auto memory = pick("memory")) {
    Result<int64_t> v = MemoryBytes(memory->value());
    if (!v.ok()) return memory->Error(v.status().message());
    r.memory_bytes = *v;
  }
  if (ports == nullptr) return r;
  if (std::optional<Reader> list = c.Child("ports")) {
    std::vector<Reader> items;
    TRY_ASSIGN(items, list->List());
    for (const Reader& item : items) {
      std::optional<Reader> host = item.Child("hostPort");
      if (!host) continue;
      HostPort p;
      int64_t port = 0;
      TRY_ASSIGN(port, host->Int());
      if (port == 0) continue;
      p.port = static_cast<int32_t>(std::clamp<int64_t>(port, INT32_MIN, INT32_MAX));
      std::string protocol;
      TRY_ASSIGN(protocol, TextField(item, "protocol", "TCP"));
      if (protocol == "UDP") {
        p.protocol = Protocol::kUDP;
      } else if (protocol == "SCTP") {
        p.protocol = Protocol::kSCTP;
      } else if (protocol != "TCP") {
        return item.Error("unknown protocol '" + protocol + "'");
      }
      TRY_ASSIGN(p.host_ip, TextField(item, "hostIP"));
      ports->push_back(std::move(p));
    }
  }
  return r;
}

Status Containers(const Reader& spec, PodRequest* pod) {
  std::vector<ResourceList> containers, init;
  for (const char* key : {"containers", "initContainers"}) {
    std::optional<Reader> list = spec.Child(key);
    if (!list) continue;
    std::vector<Reader> items;
    TRY_ASSIGN(items, list->List());
    const bool main = key == std::string_view("containers");
    for (const Reader& c : items) {
      ResourceList r;
      TRY_ASSIGN(r, Container(c, main ? &pod->host_ports : nullptr));
      (main ? containers : init).push_back(r);
    }
  }
  pod->requests = EffectiveRequest(containers, init);
  return Status::Ok();
}

}  // namespace

Result<PodRequest> PodRequestFromSpec(const lang::Value& pod_spec, std::string namespace_, std::string name,
                                      LabelMap labels) {
  Reader spec(pod_spec, "spec");
  if (!pod_spec.is_map()) return spec.Error("expected a map, found " + std::string(pod_spec.KindName()));
  PodRequest pod;
  pod.namespace_ = std::move(namespace_);
  pod.name = std::move(name);
  pod.labels = std::move(labels);
  GORCH_RETURN_IF_ERROR(Containers(spec, &pod));
  if (std::optional<Reader> selector = spec.Child("nodeSelector")) {
    TRY_ASSIGN(pod.node_selector, selector->StringMap());
  }
  GORCH_RETURN_IF_ERROR(Affinity(spec, &pod));
  GORCH_RETURN_IF_ERROR(Tolerations(spec, &pod));
  GORCH_RETURN_IF_ERROR(SpreadConstraints(spec, &pod));
  Status valid = ValidatePod(pod);
  if (!valid.ok()) return spec.Error(valid.message());
  return pod;
}

namespace {

Status Allocatable(const Reader& status, NodeInfo* node) {
  std::optional<Reader> alloc = status.Child("allocatable");
  std::optional<Reader> capacity = status.Child("capacity");
  auto pick = [&](std::string_view name) -> std::optional<Reader> {
    if (alloc) {
      if (auto q = alloc->Child(name)) return q;
    }
    if (capacity) return capacity->Child(name);
    return std::nullopt;
  };
  if (auto cpu = pick("cpu")) {
    Result<int64_t> v = CpuMillis(cpu->value());
    if (!v.ok()) return cpu->Error(v.status().message());
    node->allocatable.cpu_millis = *v;
  }
  if (auto memory = pick("memory")) {
    Result<int64_t> v = MemoryBytes(memory->value());
    if (!v.ok()) return memory->Error(v.status().message());
    node->allocatable.memory_bytes = *v;
  }
  if (auto pods = pick("pods")) {
    // A count: an integer, or a quantity string such as "110".
    Result<int64_t> v = MemoryBytes(pods->value());
    if (!v.ok()) return pods->Error(v.status().message());
    node->allocatable_pods = *v;
  }
  return Status::Ok();
}

}  // namespace

Result<NodeInfo> NodeInfoFromObject(const lang::Value& object) {
  Reader node_r(object, "Node");
  if (!object.is_map()) return node_r.Error("expected a map, found " + std::string(object.KindName()));
  NodeInfo node;
  std::optional<Reader> metadata = node_r.Child("metadata");
  if (!metadata) return node_r.Error("metadata is required");
  TRY_ASSIGN(node.name, TextField(*metadata, "name"));
  if (node.name.empty()) return metadata->Error("name is required");
  if (std::optional<Reader> labels = metadata->Child("labels")) {
    TRY_ASSIGN(node.labels, labels->StringMap());
  }
  if (std::optional<Reader> spec = node_r.Child("spec")) {
    if (std::optional<Reader> u = spec->Child("unschedulable")) {
      TRY_ASSIGN(node.unschedulable, u->Bool());
    }
    if (std::optional<Reader> taints = spec->Child("taints")) {
      std::vector<Reader> items;
      TRY_ASSIGN(items, taints->List());
      for (const Reader& item : items) {
        Taint t;
        TRY_ASSIGN(t.key, TextField(item, "key"));
        TRY_ASSIGN(t.value, TextField(item, "value"));
        std::optional<Reader> effect = item.Child("effect");
        if (!effect) return item.Error("effect is required");
        TRY_ASSIGN(t.effect, Effect(*effect));
        node.taints.push_back(std::move(t));
      }
    }
  }
  if (std::optional<Reader> status = node_r.Child("status")) {
    GORCH_RETURN_IF_ERROR(Allocatable(*status, &node));
    if (std::optional<Reader> conditions = status->Child("conditions")) {
      std::vector<Reader> items;
      TRY_ASSIGN(items, conditions->List());
      for (const Reader& item : items) {
        std::string type, value;
        TRY_ASSIGN(type, TextField(item, "type"));
        TRY_ASSIGN(value, TextField(item, "status"));
        if (type == "Ready") node.ready = value == "True";
      }
    }
  }
  return node;
}

Result<ClusterSnapshot> ParseDescribedCluster(std::string_view spec) {
  ClusterSnapshot snap;
  auto bad = [&](std::string_view group, std::string_view why) {
    return Status::InvalidArgument("--nodes group '" + std::string(group) + "': " + std::string(why) +
                                   " (expected [COUNTx]CPUcpuMEMORY[:key=value...], e.g. 5x4cpu16Gi:gpu=true)");
  };
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view group = spec.substr(start, end - start);
    start = end + 1;
    const size_t labels_at = std::min(group.find(':'), group.size());
    std::string_view head = group.substr(0, labels_at);
    int64_t count = 1;
    if (size_t x = head.find('x'); x != std::string_view::npos) {
      Result<int64_t> n = ParseMemoryBytes(head.substr(0, x));
      if (!n.ok() || *n < 1 || *n > 100000) return bad(group, "count must be 1..100000");
      count = *n;
      head = head.substr(x + 1);
    }
    const size_t cpu_end = head.find("cpu");
    if (cpu_end == std::string_view::npos) return bad(group, "missing 'cpu'");
    Result<int64_t> cpu = ParseCpuMillis(head.substr(0, cpu_end));
    Result<int64_t> memory = ParseMemoryBytes(head.substr(cpu_end + 3));
    if (!cpu.ok()) return bad(group, cpu.status().message());
    if (!memory.ok()) return bad(group, memory.status().message());
    LabelMap labels;
    for (size_t pos = labels_at; pos < group.size();) {
      size_t next = group.find(':', pos + 1);
      if (next == std::string_view::npos) next = group.size();
      std::string_view label = group.substr(pos + 1, next - pos - 1);
      const size_t eq = label.find('=');
      if (eq == std::string_view::npos || eq == 0) return bad(group, "label '" + std::string(label) + "' is not key=value");
      labels[std::string(label.substr(0, eq))] = std::string(label.substr(eq + 1));
      pos = next;
    }
    for (int64_t i = 0; i < count; ++i) {
      NodeInfo node;
      node.name = "node-" + std::to_string(snap.nodes.size() + 1);
      node.allocatable = {*cpu, *memory};
      node.labels = labels;
      snap.nodes.push_back(std::move(node));
    }
    if (end == spec.size()) break;
  }
  if (snap.nodes.size() > 100000) return Status::InvalidArgument("--nodes describes more than 100000 nodes");
  return snap;
}

}  // namespace gorch::planner

#undef TRY_ASSIGN
#undef PLANNER_CONCAT
#undef PLANNER_CONCAT_
