// BuildGraph: identities, hashes, edges, reference checks, cycles and order.
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "gorch/compiler/compile.h"
#include "graph_internal.h"

namespace gorch::compiler {

using lang::Diagnostics;
using lang::SourcePos;
using lang::Value;

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

// Creation order among kinds that do not depend on each other, as kubectl and
// Helm install them: namespaces and cluster config first, then what pods use,
// then services, then workloads, then what points at workloads.
int CreationRank(std::string_view kind) {
  static const std::map<std::string_view, int> kRank = {
      {"Namespace", 0}, {"CustomResourceDefinition", 1}, {"PriorityClass", 2},
      {"StorageClass", 2}, {"PersistentVolume", 2}, {"ClusterRole", 3},
      {"ClusterRoleBinding", 3}, {"ServiceAccount", 3}, {"Role", 3}, {"RoleBinding", 3},
      {"LimitRange", 3}, {"ResourceQuota", 3}, {"NetworkPolicy", 3}, {"ConfigMap", 4},
      {"Secret", 4}, {"PersistentVolumeClaim", 5}, {"Service", 6}, {"Endpoints", 6},
      {"Pod", 7}, {"ReplicaSet", 7}, {"Deployment", 7}, {"StatefulSet", 7},
      {"DaemonSet", 7}, {"Job", 7}, {"CronJob", 7}, {"IngressClass", 8}, {"Ingress", 9},
      {"HorizontalPodAutoscaler", 9}, {"PodDisruptionBudget", 9},
  };
  auto it = kRank.find(kind);
  return it == kRank.end() ? 7 : it->second;
}

namespace {

std::string StringAt(const Value& v, std::string_view dotted) {
  const Value* f = v.FindPath(dotted);
  return f && f->is_string() ? f->as_string() : std::string();
}

class GraphBuilder {
 public:
  GraphBuilder(const CompileOptions& options, Diagnostics& diags) : options_(options), diags_(diags) {}

  DesiredState Build(std::vector<CheckedManifest> manifests) {
    MakeResources(std::move(manifests));
    index_.clear();
    for (size_t i = 0; i < state_.resources.size(); ++i) {
      const Resource& r = state_.resources[i];
      index_[r.id] = i;
      if (r.id.namespace_.empty()) cluster_scoped_kinds_.insert(r.id.kind);
      if (PodTemplateOf(r) && r.id.kind != "CronJob") workloads_by_ns_[r.id.namespace_].push_back(i);
    }
    for (size_t i = 0; i < state_.resources.size(); ++i) {
      LinkReferences(i);
      LinkKindSpecific(i);
    }
    std::sort(state_.edges.begin(), state_.edges.end(), [](const Edge& a, const Edge& b) {
      return std::tie(a.from, a.to, a.kind, a.field_path) < std::tie(b.from, b.to, b.kind, b.field_path);
    });
    state_.edges.erase(std::unique(state_.edges.begin(), state_.edges.end(),
                                   [](const Edge& a, const Edge& b) {
                                     return a.from == b.from && a.to == b.to && a.kind == b.kind;
                                   }),
                       state_.edges.end());
    Order();
    std::string all;
    for (const Resource& r : state_.resources) all += r.id.ToString() + "\t" + r.content_hash + "\n";
    state_.hash = Sha256Hex(all);
    return std::move(state_);
  }

 private:
  // One Resource per checked manifest of a known kind; duplicates reported.
  void MakeResources(std::vector<CheckedManifest> manifests) {
    std::map<ResourceId, SourcePos> seen;
    for (auto& m : manifests) {
      if (!m.schema || !m.object.is_map()) continue;  // the checker reported why
      Value& obj = m.object;
      Value* meta = obj.Find("metadata");
      if (!meta || !meta->is_map()) continue;  // reported as a missing field
      Resource r;
      r.id.kind = m.schema->kind;
      r.api_version = m.schema->api_version;
      r.runs = m.schema->runs;
      r.pos = obj.pos();
      const Value* name = meta->Find("name");
      if (!name || !name->is_string() || name->as_string().empty()) {
        const Value* gen = meta->Find("generateName");
        diags_.Error(meta->pos(), "missing-name",
                     gen ? "metadata.generateName is not supported: a declarative resource needs a "
                           "fixed metadata.name"
                         : "metadata.name is required");
        continue;
      }
      r.id.name = name->as_string();
      Value* ns = meta->Find("namespace");
      bool namespace_defaulted = false;
      if (m.schema->namespaced) {
        // The type checker fills a missing namespace with a defaulted "default":
        // that one gives way to the options' default namespace.
        const std::string& dflt_ns = options_.default_namespace.empty() ? "default" : options_.default_namespace;
        if (ns && ns->is_string() && !ns->as_string().empty() && !(ns->defaulted() && ns->as_string() != dflt_ns)) {
          r.id.namespace_ = ns->as_string();
        } else {
          Value dflt = Value::String(dflt_ns, meta->pos());
          dflt.set_defaulted(true);
          meta->Set("namespace", std::move(dflt));
          r.id.namespace_ = dflt_ns;
          namespace_defaulted = true;
        }
      } else if (ns) {
        diags_.Warning(ns->pos(), "cluster-scoped-namespace",
                       r.id.kind + " is cluster-scoped: metadata.namespace \"" +
                           (ns->is_string() ? ns->as_string() : std::string()) + "\" is ignored");
        meta->Erase("namespace");
        namespace_defaulted = true;  // the object changed: hash it again
      }
      auto [it, inserted] = seen.emplace(r.id, r.pos);
      if (!inserted) {
        diags_.Error(r.pos, "duplicate-resource",
                     r.id.kind + " \"" + r.id.name + "\" in namespace \"" + r.id.namespace_ +
                         "\" is already defined at " + it->second.ToString());
        continue;
      }
      // The driver hashed it in parallel, unless the namespace was defaulted here.
      r.content_hash = !m.content_hash.empty() && !namespace_defaulted ? std::move(m.content_hash)
                                                                      : Sha256Hex(obj.ToCanonicalJson());
      r.object = std::move(obj);
      refs_by_id_[r.id] = std::move(m.refs);
      state_.resources.push_back(std::move(r));
    }
    std::sort(state_.resources.begin(), state_.resources.end(),
              [](const Resource& a, const Resource& b) { return a.id < b.id; });
  }

  const Resource* Lookup(const ResourceId& id, size_t* index = nullptr) const {
    auto it = index_.find(id);
    if (it == index_.end()) return nullptr;
    if (index) *index = it->second;
    return &state_.resources[it->second];
  }

  void AddEdge(size_t from, size_t to, EdgeKind kind, std::string field) {
    if (from == to) return;
    state_.edges.push_back({from, to, kind, std::move(field)});
  }

  // A reference to something not in the source: an error, or a warning when
  // the user lets references point at what may already run in the cluster.
  void Dangling(const SourcePos& pos, const Resource& from, const std::string& kind,
                const std::string& name, const std::string& field) {
    std::string msg = from.id.kind + " \"" + from.id.name + "\" " + field + " references " + kind +
                      " \"" + name + "\", which is not defined in namespace \"" +
                      from.id.namespace_ + "\"";
    if (options_.allow_external_refs)
      diags_.Warning(pos, "dangling-reference", msg + " (assumed to exist in the cluster)");
    else
      diags_.Error(pos, "dangling-reference",
                   msg + " (define it, mark the reference optional, or pass --allow-external-refs)");
  }

  void LinkReferences(size_t i) {
    const Resource& r = state_.resources[i];
    auto it = refs_by_id_.find(r.id);
    if (it == refs_by_id_.end()) return;
    for (const Reference& ref : it->second) {
      if (r.id.kind == "Ingress" && ref.kind == "Service") continue;  // LinkIngress checks ports too
      if (ref.kind == "ServiceAccount" && ref.name == "default") continue;  // always exists
      ResourceId target{ref.kind, IsClusterScoped(ref.kind) ? "" : r.id.namespace_, ref.name};
      size_t j;
      if (Lookup(target, &j)) {
        AddEdge(i, j, EdgeKind::kUses, ref.field_path);
      } else if (!ref.optional) {
        Dangling(ref.pos, r, ref.kind, ref.name, ref.field_path);
      }
    }
  }

  bool IsClusterScoped(const std::string& kind) const {
    if (cluster_scoped_kinds_.count(kind)) return true;
    return kind == "Namespace" || kind == "StorageClass" || kind == "PersistentVolume" ||
           kind == "ClusterRole" || kind == "ClusterRoleBinding" || kind == "PriorityClass" ||
           kind == "IngressClass" || kind == "CustomResourceDefinition";
  }

  void LinkKindSpecific(size_t i) {
    const Resource& r = state_.resources[i];
    if (!r.id.namespace_.empty()) {
      size_t j;
      if (Lookup({"Namespace", "", r.id.namespace_}, &j))
        AddEdge(i, j, EdgeKind::kInNamespace, "metadata.namespace");
    }
    const std::string& kind = r.id.kind;
    if (PodTemplateOf(r)) CheckWorkloadSelector(r);
    if (kind == "Service") LinkService(i);
    else if (kind == "Ingress") LinkIngress(i);
    else if (kind == "HorizontalPodAutoscaler") LinkHpa(i);
    else if (kind == "StatefulSet") LinkStatefulSet(i);
    else if (kind == "PodDisruptionBudget") LinkSelectorOwner(i, "spec.selector");
  }

  void LinkService(size_t i);
  void LinkIngress(size_t i);
  void LinkIngressBackend(size_t i, const Value& backend, const std::string& field);
  void LinkHpa(size_t i);
  void LinkStatefulSet(size_t i);
  void LinkSelectorOwner(size_t i, std::string_view selector_path);
  void CheckWorkloadSelector(const Resource& r);
  void Order();

  const CompileOptions& options_;
  Diagnostics& diags_;
  DesiredState state_;
  std::map<ResourceId, size_t> index_;
  std::map<ResourceId, std::vector<Reference>> refs_by_id_;
  std::set<std::string> cluster_scoped_kinds_;  // kinds of the source's cluster-scoped resources
  // Resources with a pod template (not CronJobs), by namespace: what selectors select.
  std::map<std::string, std::vector<size_t>> workloads_by_ns_;

  const std::vector<size_t>& WorkloadsIn(const std::string& ns) const {
    static const std::vector<size_t> kNone;
    auto it = workloads_by_ns_.find(ns);
    return it == workloads_by_ns_.end() ? kNone : it->second;
  }
};

void GraphBuilder::CheckWorkloadSelector(const Resource& r) {
  const Value* tmpl = PodTemplateOf(r);
  const Value* selector = r.object.FindPath("spec.selector");
  if (r.id.kind == "Pod" || r.id.kind == "CronJob") return;
  if (!selector || selector->is_null()) {
    if (r.id.kind == "Job") return;  // generated by the controller
    diags_.Error(r.object.Find("spec") ? r.object.Find("spec")->pos() : r.pos, "missing-selector",
                 r.id.kind + " \"" + r.id.name + "\": spec.selector is required");
    return;
  }
  const Value* labels = tmpl->FindPath("metadata.labels");
  static const Value kEmpty = Value::MakeMap();
  std::string why;
  if (!SelectorMatches(*selector, labels ? *labels : kEmpty, &why)) {
    diags_.Error(selector->pos(), "selector-mismatch",
                 r.id.kind + " \"" + r.id.name +
                     "\": spec.selector does not match spec.template.metadata.labels (" + why + ")");
  }
}

void GraphBuilder::LinkService(size_t i) {
  const Resource& svc = state_.resources[i];
  const Value* selector = svc.object.FindPath("spec.selector");
  if (!selector || !selector->is_map() || selector->as_map().empty()) return;  // external/manual endpoints
  bool any = false;
  for (size_t j : WorkloadsIn(svc.id.namespace_)) {
    const Value* tmpl = PodTemplateOf(state_.resources[j]);
    const Value* labels = tmpl->FindPath("metadata.labels");
    if (labels && MapSelectorMatches(*selector, *labels)) {
      AddEdge(i, j, EdgeKind::kSelects, "spec.selector");
      any = true;
    }
  }
  if (!any)
    diags_.Warning(selector->pos(), "selects-nothing",
                   "Service \"" + svc.id.name + "\" selects no workload defined in namespace \"" +
                       svc.id.namespace_ + "\" (selector " + selector->ToJson() + ")");
}

void GraphBuilder::LinkIngress(size_t i) {
  const Value& obj = state_.resources[i].object;
  if (const Value* b = obj.FindPath("spec.defaultBackend")) LinkIngressBackend(i, *b, "spec.defaultBackend");
  const Value* rules = obj.FindPath("spec.rules");
  if (!rules || !rules->is_list()) return;
  for (size_t r = 0; r < rules->as_list().size(); ++r) {
    const Value* paths = rules->as_list()[r].FindPath("http.paths");
    if (!paths || !paths->is_list()) continue;
    for (size_t p = 0; p < paths->as_list().size(); ++p) {
      if (const Value* b = paths->as_list()[p].Find("backend"))
        LinkIngressBackend(i, *b,
                           "spec.rules[" + std::to_string(r) + "].http.paths[" + std::to_string(p) + "].backend");
    }
  }
}

void GraphBuilder::LinkIngressBackend(size_t i, const Value& backend, const std::string& field) {
  const Resource& ing = state_.resources[i];
  const Value* svc_ref = backend.Find("service");
  if (!svc_ref) return;  // a resource backend
  const Value* name = svc_ref->Find("name");
  if (!name || !name->is_string()) return;  // the checker reported it
  size_t j;
  const Resource* svc = Lookup({"Service", ing.id.namespace_, name->as_string()}, &j);
  if (!svc) {
    Dangling(name->pos(), ing, "Service", name->as_string(), field + ".service.name");
    return;
  }
  AddEdge(i, j, EdgeKind::kBackend, field);
  const Value* port = svc_ref->Find("port");
  if (!port) return;
  // The checker reported wrongly typed ports already; only well-typed ones are matched.
  const Value* number = port->Find("number");
  const Value* pname = port->Find("name");
  if (number && !number->is_int()) number = nullptr;
  if (pname && !pname->is_string()) pname = nullptr;
  const Value* ports = svc->object.FindPath("spec.ports");
  bool found = false;
  std::string known;
  if (ports && ports->is_list()) {
    for (const Value& p : ports->as_list()) {
      const Value* pn = p.Find("port");
      const Value* nm = p.Find("name");
      if (pn && pn->is_int()) known += (known.empty() ? "" : ", ") + std::to_string(pn->as_int());
      if (nm && nm->is_string()) known += " (" + nm->as_string() + ")";
      if (number && number->is_int() && pn && pn->is_int() && pn->as_int() == number->as_int()) found = true;
      if (pname && pname->is_string() && nm && nm->is_string() && nm->as_string() == pname->as_string())
        found = true;
    }
  }
  if (!found && (number || pname)) {
    const Value* at = number ? number : pname;
    diags_.Error(at->pos(), "unknown-service-port",
                 "Ingress \"" + ing.id.name + "\" " + field + " names port " +
                     (number ? std::to_string(number->as_int()) : "\"" + pname->as_string() + "\"") +
                     " of Service \"" + svc->id.name + "\", which has ports: " +
                     (known.empty() ? "none" : known));
  }
}

void GraphBuilder::LinkHpa(size_t i) {
  const Resource& hpa = state_.resources[i];
  const Value* ref = hpa.object.FindPath("spec.scaleTargetRef");
  if (!ref) return;
  std::string kind = StringAt(*ref, "kind"), name = StringAt(*ref, "name");
  if (kind.empty() || name.empty()) return;
  size_t j;
  if (Lookup({kind, hpa.id.namespace_, name}, &j)) {
    AddEdge(i, j, EdgeKind::kTarget, "spec.scaleTargetRef");
  } else {
    const Value* at = ref->Find("name");
    Dangling(at ? at->pos() : ref->pos(), hpa, kind, name, "spec.scaleTargetRef");
  }
}

void GraphBuilder::LinkStatefulSet(size_t i) {
  const Resource& sts = state_.resources[i];
  const Value* sn = sts.object.FindPath("spec.serviceName");
  if (!sn || !sn->is_string() || sn->as_string().empty()) return;
  size_t j;
  if (Lookup({"Service", sts.id.namespace_, sn->as_string()}, &j)) {
    AddEdge(i, j, EdgeKind::kGoverns, "spec.serviceName");
  } else {
    diags_.Warning(sn->pos(), "missing-governing-service",
                   "StatefulSet \"" + sts.id.name + "\" spec.serviceName names Service \"" +
                       sn->as_string() + "\", which is not defined in namespace \"" +
                       sts.id.namespace_ + "\" (its pods get no stable network names)");
  }
}

void GraphBuilder::LinkSelectorOwner(size_t i, std::string_view selector_path) {
  const Resource& owner = state_.resources[i];
  const Value* selector = owner.object.FindPath(selector_path);
  if (!selector || !selector->is_map()) return;
  for (size_t j : WorkloadsIn(owner.id.namespace_)) {
    const Value* tmpl = PodTemplateOf(state_.resources[j]);
    const Value* labels = tmpl->FindPath("metadata.labels");
    static const Value kEmpty = Value::MakeMap();
    if (SelectorMatches(*selector, labels ? *labels : kEmpty, nullptr))
      AddEdge(i, j, EdgeKind::kSelects, std::string(selector_path));
  }
}

// Kahn's algorithm over the dependency edges (all but kSelects, which only
// records who selects whom), smallest (kind rank, id) first, so the order is
// deterministic and looks like what kubectl/Helm would do.
void GraphBuilder::Order() {
  const size_t n = state_.resources.size();
  std::vector<std::vector<size_t>> dependents(n);
  std::vector<size_t> pending(n, 0);
  for (const Edge& e : state_.edges) {
    if (e.kind == EdgeKind::kSelects) continue;
    dependents[e.to].push_back(e.from);
    ++pending[e.from];
  }
  auto later = [&](size_t a, size_t b) {
    int ra = CreationRank(state_.resources[a].id.kind), rb = CreationRank(state_.resources[b].id.kind);
    if (ra != rb) return ra > rb;
    return b < a;  // resources are sorted by id
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> ready(later);
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push(i);
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    state_.order.push_back(i);
    for (size_t d : dependents[i])
      if (--pending[d] == 0) ready.push(d);
  }
  if (state_.order.size() == n) return;
  // What is left holds at least one cycle: report each resource still pending once.
  std::string members;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] > 0) members += (members.empty() ? "" : ", ") + state_.resources[i].id.ToString();
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) continue;
    diags_.Error(state_.resources[i].pos, "dependency-cycle",
                 state_.resources[i].id.ToString() + " is part of a dependency cycle among: " + members);
  }
}

}  // namespace

const Value* PodTemplateOf(const Resource& r) {
  const std::string& k = r.id.kind;
  if (k == "Pod") return &r.object;
  if (k == "Deployment" || k == "ReplicaSet" || k == "StatefulSet" || k == "DaemonSet" || k == "Job")
    return r.object.FindPath("spec.template");
  if (k == "CronJob") return r.object.FindPath("spec.jobTemplate.spec.template");
  return nullptr;
}

bool MapSelectorMatches(const Value& selector, const Value& labels) {
  if (!selector.is_map()) return false;
  for (const auto& [k, v] : selector.as_map()) {
    const Value* l = labels.Find(k);
    if (!l || !(*l == v)) return false;
  }
  return true;
}

bool SelectorMatches(const Value& selector, const Value& labels, std::string* why) {
  auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  if (const Value* ml = selector.Find("matchLabels"); ml && ml->is_map()) {
    for (const auto& [k, v] : ml->as_map()) {
      const Value* l = labels.Find(k);
      if (!l) return fail("label \"" + k + "\" is missing from the template");
      if (!(*l == v))
        return fail("label " + k + "=" + l->ToJson() + " in the template, " + v.ToJson() + " in the selector");
    }
  }
  if (const Value* exprs = selector.Find("matchExpressions"); exprs && exprs->is_list()) {
    for (const Value& e : exprs->as_list()) {
      std::string key = StringAt(e, "key"), op = StringAt(e, "operator");
      const Value* l = labels.Find(key);
      bool in_values = false;
      if (const Value* vals = e.Find("values"); vals && vals->is_list() && l)
        for (const Value& v : vals->as_list()) in_values |= (v == *l);
      bool ok = (op == "In" && in_values) || (op == "NotIn" && !in_values) ||
                (op == "Exists" && l) || (op == "DoesNotExist" && !l);
      if (!ok) return fail("matchExpressions " + key + " " + op + " does not hold");
    }
  }
  return true;
}

DesiredState BuildGraph(std::vector<CheckedManifest> manifests, const CompileOptions& options,
                        Diagnostics& diags) {
  return GraphBuilder(options, diags).Build(std::move(manifests));
}

}  // namespace gorch::compiler
